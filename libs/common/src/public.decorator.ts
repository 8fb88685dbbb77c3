import { SetMetadata } from '@nestjs/common';

/** Metadata key read by the API's key guard. */
export const IS_PUBLIC = 'api:public';

/**
 * A route that needs no API key (health, metrics, docs). Here rather than in apps/api so the
 * operations controller in libs/observability can carry it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
