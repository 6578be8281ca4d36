// `node --import tsx --import ./scripts/loader/register.mjs …` — see binaryen-as-is.mjs.
import { register } from 'node:module';
register('./binaryen-as-is.mjs', import.meta.url);
