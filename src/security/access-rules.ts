import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_KEY, ROLES_KEY } from './access.decorators';

/** A route that declares who may call it: neither `@Roles` nor `@Public`. */
export interface UndeclaredRoute {
  controller: string;
  handler: string;
  route: string;
}

/**
 * The controller routes that declare neither `@Roles(...)` nor `@Public()`. The guard
 * denies them anyway; `SecurityModule` refuses to start with any, so a forgotten
 * decorator shows at the first run instead of as a mysterious 403.
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
