import { Module } from '@nestjs/common';
import { ProvidersController } from './api/providers.controller';

@Module({ controllers: [ProvidersController] })
export class CatalogueModule {}
