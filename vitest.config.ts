import { defineConfig } from "vitest/config";

// Tests that attach loop devices and run Debian's real LVM2 share the kernel's loop devices and
// LVM2's global state, so they run one file at a time; everything else runs in parallel.
const REAL_LVM2 = ["test/interop/**/*.test.ts", "test/engine/format/real-lvm2.test.ts"];
// Tests that boot QEMU guests (real kernel dm, `lvmlab real`): one at a time, one VM at a time.
const REAL_VM = ["test/real/vm/**/*.test.ts"];

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
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...REAL_LVM2, ...REAL_VM] },
      },
      {
        extends: true,
        test: { name: "real-lvm2", include: REAL_LVM2, fileParallelism: false },
      },
      {
        extends: true,
        test: { name: "real-vm", include: REAL_VM, fileParallelism: false },
      },
    ],
  },
});
