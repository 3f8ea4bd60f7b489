import { defineConfig } from "vitest/config";

// Tests that attach loop devices and run Debian's real LVM2 share the kernel's loop devices and
// LVM2's global state, so they run one file at a time; everything else runs in parallel.
const REAL_LVM2 = ["test/interop/**/*.test.ts", "test/engine/format/real-lvm2.test.ts"];

export default defineConfig({
  test: {
    // Two cores on CI: one fork per core keeps the property tests from starving each other.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: REAL_LVM2 },
      },
      {
        extends: true,
        test: { name: "real-lvm2", include: REAL_LVM2, fileParallelism: false },
      },
    ],
  },
});
