import { SetMetadata } from '@nestjs/common';

export const ADMIN_ONLY = 'api:admin-only';

/** A route only admin keys may call; an app key gets 403. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);
