#!/usr/bin/env node
import { exitQuietlyOnBrokenPipe } from "./errors.js";
import { runCli } from "./program.js";

exitQuietlyOnBrokenPipe();
process.exitCode = await runCli(process.argv.slice(2));
