// The Celar sandbox: our emulator of Celar's customers API, with its control API (/_control).
export { createSandboxApp, nestLogLevels } from './sandbox-app';
export type { CreateSandboxAppOptions } from './sandbox-app';
export { SandboxModule } from './sandbox.module';
export type { SandboxOptions } from './sandbox-options';
export { LIST_ORDERS, EMAIL_FILTERS, MUTATION_BODIES } from './settings.service';
export type { SandboxBehaviour, SandboxSettings, SandboxSettingsPatch, ListOrder, EmailFilter, MutationBody } from './settings.service';
export { FAULT_KINDS } from './gateway/faults.service';
export type { FaultKind, FaultRule, FaultRuleInput } from './gateway/faults.service';
export type { SandboxBalance, SandboxCustomer } from './customers/customers.service';
export type { RequestLogEntry } from './gateway/request-log.service';
export type { RateLimitSetting } from './gateway/rate-limit.service';
export type { SandboxStats } from './control/control.controller';
