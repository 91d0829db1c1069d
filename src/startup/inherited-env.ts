/**
 * The environment this process was started with, copied before any module
 * (ours or the SDK's) can change process.env. `exec` hands exactly this to
 * its child, plus the manifest's keys: whatever the tool sets for itself
 * stays out of the program it runs. bin.ts imports this module first, so it
 * is evaluated before every other one.
 */
export const inheritedEnv: NodeJS.ProcessEnv = { ...process.env };
