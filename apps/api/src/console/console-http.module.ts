import { Module } from '@nestjs/common';
import { CasesHttpModule } from '../cases/cases-http.module';
import { ConsoleSessionsService } from './console-sessions.service';
import { ConsoleController } from './console.controller';

/** The operators' console at /console; its session middleware is installed by createApiApp. */
@Module({
  imports: [CasesHttpModule],
  controllers: [ConsoleController],
  providers: [ConsoleSessionsService],
})
export class ConsoleHttpModule {}
