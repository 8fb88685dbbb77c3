// The framework floor: the baseline's exact work (api-baseline-core.ts) behind a bare NestJS
// app on Fastify, as the API runs: a controller and Fastify's JSON body parser, nothing else.
// The gap between this and the plain baseline is what NestJS + Fastify cost by themselves.
// Env: as api-baseline.ts.
import 'reflect-metadata';
import { Body, Controller, Get, Headers, Module, Param, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Answer, BaselineCore, env, errorAnswer } from './api-baseline-core';

const core = new BaselineCore();
const expectedAuth = `Bearer ${env('API_KEY')}`;

interface Reply {
  status(code: number): Reply;
  send(body: unknown): void;
}

async function answer(res: Reply, auth: string | undefined, work: () => Promise<Answer>): Promise<void> {
  let result: Answer;
  if (auth !== expectedAuth) result = { status: 401, body: { error: { code: 'unauthorized', message: 'Unknown API key' } } };
  else result = await work().catch(errorAnswer);
  res.status(result.status).send(result.body);
}

@Controller('api/v1/customers')
class FloorController {
  @Post()
  create(@Body() body: unknown, @Headers('authorization') auth: string | undefined, @Res() res: Reply): Promise<void> {
    return answer(res, auth, () => core.create(body));
  }

  @Get()
  list(@Req() req: { url: string }, @Headers('authorization') auth: string | undefined, @Res() res: Reply): Promise<void> {
    return answer(res, auth, () => core.list(new URL(req.url, 'http://localhost').searchParams));
  }

  @Get(':id')
  get(@Param('id') id: string, @Headers('authorization') auth: string | undefined, @Res() res: Reply): Promise<void> {
    return answer(res, auth, () => core.getOne(id));
  }
}

@Module({ controllers: [FloorController] })
class FloorModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(FloorModule, new FastifyAdapter({ bodyLimit: 2 * 1024 * 1024, skipMiddie: true }), {
    logger: false,
  });
  await app.listen(Number(env('PORT')), '127.0.0.1');
  process.on('SIGTERM', () => void app.close().then(() => core.close()).then(() => process.exit(0)));
}

void main();
