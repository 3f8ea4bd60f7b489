import { describe, expect, it } from "vitest";
import { phaseProgress, streamProgress } from "../../scenarios/progress.js";

function stream() {
  return {
    text: "",
    isTTY: false,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe("progress without a TTY", () => {
  it("prints the start, failures as they happen and no ok lines unless verbose", () => {
    const out = stream();
    const progress = streamProgress(out, { tty: false });
    progress.start(3);
    progress.caseDone("a@1", "pass", "ok");
    progress.caseDone("a@2", "fail", "2 blocks lost");
    progress.finish();
    expect(out.text).toBe("running 3 cases\nFAIL a@2: 2 blocks lost\n");
    const verbose = stream();
    const loud = streamProgress(verbose, { tty: false, verbose: true });
    loud.start(1);
    loud.caseDone("a@1", "pass", "ok");
    expect(verbose.text).toBe("running 1 case\nok   a@1\n");
  });

  it("says when a phase such as the benchmark runs and when it is done", () => {
    const out = stream();
    phaseProgress(out, "bench overhead --quick").done("30 samples");
    expect(out.text).toMatch(
      /^bench overhead --quick: running…\nbench overhead --quick: done in \d+\.\ds \(30 samples\)\n$/,
    );
  });
});
