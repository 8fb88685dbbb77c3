import { isUuid } from '@app/common';

const CELAR_ID = /^cr_[A-Za-z0-9]{1,64}$/;

/** The one rule for a customer reference in a route: our uuid, or Celar's `cr_` id. */
export const CUSTOMER_REF = {
  /** Where the reference is looked up; undefined when it is neither. */
  where(ref: string): { column: 'id' | 'celar_id'; value: string } | undefined {
    if (isUuid(ref)) return { column: 'id', value: ref.toLowerCase() };
    if (CELAR_ID.test(ref)) return { column: 'celar_id', value: ref };
    return undefined;
  },
};
