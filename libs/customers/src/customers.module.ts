import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomerOperation } from './customer-operation.entity';
import { Customer } from './customer.entity';
import { CustomerMirrorRepository } from './customer-mirror.repository';
import { CustomerOperationsRepository } from './customer-operations.repository';
import { CustomersRepository } from './customers.repository';
import { CustomersService } from './customers.service';
import { IdempotencyKey } from './idempotency-key.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Customer, CustomerOperation, IdempotencyKey])],
  providers: [CustomersRepository, CustomersService, CustomerOperationsRepository, CustomerMirrorRepository],
  exports: [CustomersService, CustomerOperationsRepository, CustomerMirrorRepository, TypeOrmModule],
})
export class CustomersModule {}
