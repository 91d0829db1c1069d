/**
 * The shared pool (vitest.config.ts) runs its files one after another in
 * workers that keep their module graph and their process.env, so a file that
 * leaves process.env changed, or replaces the object, changes what every
 * later file in that worker runs with. This setup file runs before each of
 * those files and fails the file that does so. A change made and undone
 * inside a file (test/helpers/main.ts's withAwsEnv) passes. Names only in the
 * message: a variable's value may be a credential.
 */
import { afterAll, expect } from 'vitest';

// Taken when this file is evaluated, before the test file is imported: its top level counts too.
const found = process.env;
const before = { ...process.env };

afterAll(() => {
  expect(process.env === found, 'the test file replaced process.env (pass an env to the code under test instead)').toBe(true);
  const after = { ...process.env };
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
  expect(changed, 'the test file left these process.env variables changed (pass an env to the code under test instead)').toEqual([]);
});
