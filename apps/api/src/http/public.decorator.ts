import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'api:public';

/** A route that needs no API key (health, metrics, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
