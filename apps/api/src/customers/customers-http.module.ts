import { Module } from '@nestjs/common';
import { CustomersModule } from '@app/customers';
import { CustomersController } from './customers.controller';

@Module({
  imports: [CustomersModule],
  controllers: [CustomersController],
})
export class CustomersHttpModule {}
