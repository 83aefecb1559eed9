import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { RESOLVER_NAME_METADATA, RESOLVER_PROPERTY_METADATA, RESOLVER_TYPE_METADATA } from '@nestjs/graphql';
import { PUBLIC_KEY, ROLES_KEY } from './access.decorators';

/** A route that declares who may call it: neither `@Roles` nor `@Public`. */
export interface UndeclaredRoute {
  controller: string;
  handler: string;
  route: string;
}

/**
 * The controller routes and GraphQL resolver handlers (queries, mutations, resolved
 * fields) that declare neither `@Roles(...)` nor `@Public()`. The guard denies them
 * anyway; `SecurityModule` refuses to start with any, so a forgotten decorator shows at
 * the first run instead of as a mysterious 403.
 */
export function undeclaredRoutes(modules: ModulesContainer): UndeclaredRoute[] {
  const found: UndeclaredRoute[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller?.prototype) continue;
      const declaredOnClass = hasRule(controller);
      const basePath = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of methodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (declaredOnClass || hasRule(handler)) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number] ?? 'ALL';
        const path = String(Reflect.getMetadata(PATH_METADATA, handler));
        const route = `/${basePath}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        found.push({ controller: controller.name, handler: name, route: `${method} ${route}` });
      }
    }
    for (const wrapper of module.providers.values()) {
      const resolver = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (typeof resolver !== 'function' || !resolver.prototype) continue;
      const declaredOnClass = hasRule(resolver);
      for (const name of methodNames(resolver.prototype)) {
        // Read as a descriptor: any provider passes here, and a getter run on a prototype may throw.
        const handler = methodOf(resolver.prototype, name);
        if (!handler) continue;
        // @Query/@Mutation/@Subscription set the operation type; @ResolveField marks a field resolver.
        const type: unknown = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler);
        const isField = Reflect.getMetadata(RESOLVER_PROPERTY_METADATA, handler) === true;
        if ((type === undefined && !isField) || declaredOnClass || hasRule(handler)) continue;
        const field: unknown = Reflect.getMetadata(RESOLVER_NAME_METADATA, handler) ?? name;
        const kind = isField ? 'field' : String(type);
        found.push({ controller: resolver.name, handler: name, route: `GraphQL ${kind} ${String(field)}` });
      }
    }
  }
  return found;
}

function hasRule(target: object): boolean {
  return Reflect.getMetadata(PUBLIC_KEY, target) === true || Array.isArray(Reflect.getMetadata(ROLES_KEY, target));
}

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

function methodOf(prototype: object, name: string): object | undefined {
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const descriptor = Object.getOwnPropertyDescriptor(p, name);
    if (descriptor) return typeof descriptor.value === 'function' ? (descriptor.value as object) : undefined;
  }
  return undefined;
}
