import { describe, expect, it } from "vitest";
import { Scheduler, VirtualDeadlineError } from "../../../engine/sim/scheduler.js";

describe("Scheduler", () => {
  it("runs events in time order whatever the order they were scheduled in", () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(300, () => seen.push("c"));
    s.at(100, () => seen.push("a"));
    s.at(200, () => seen.push("b"));
    expect(s.run()).toBe(3);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(s.nowNs).toBe(300);
    expect(s.executed).toBe(3);
  });

  it("runs events at the same instant in scheduling order (stable ties)", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) s.at(i % 2 === 0 ? 10 : 5, () => seen.push(i));
    s.run();
    const odd = Array.from({ length: 25 }, (_, k) => 2 * k + 1);
    const even = Array.from({ length: 25 }, (_, k) => 2 * k);
    expect(seen).toEqual([...odd, ...even]);
  });

  it("hands each task the current virtual time and lets it schedule more", () => {
    const s = new Scheduler();
    const times: number[] = [];
    s.at(10, (nowNs) => {
      times.push(nowNs);
      s.after(15, (later) => times.push(later));
      s.after(0, (same) => times.push(same));
    });
    s.run();
    expect(times).toEqual([10, 10, 25]);
  });

  it("skips cancelled events", () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(1, () => seen.push("kept"));
    const dropped = s.at(2, () => seen.push("dropped"));
    s.at(3, () => seen.push("last"));
    s.cancel(dropped);
    expect(s.run()).toBe(2);
    expect(seen).toEqual(["kept", "last"]);
  });

  it("stops run(until) before later events and moves the clock to until", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    for (const t of [5, 10, 15, 20]) s.at(t, () => seen.push(t));
    expect(s.run(15)).toBe(3);
    expect(seen).toEqual([5, 10, 15]);
    expect(s.nowNs).toBe(15);
    expect(s.run(17)).toBe(0);
    expect(s.nowNs).toBe(17);
    expect(s.pending).toBe(1);
    s.run();
    expect(seen).toEqual([5, 10, 15, 20]);
  });

  it("steps one event at a time and reports when none are left", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.at(4, () => seen.push(4));
    s.at(2, () => seen.push(2));
    expect(s.step()).toBe(true);
    expect(seen).toEqual([2]);
    expect(s.step()).toBe(true);
    expect(s.step()).toBe(false);
    expect(seen).toEqual([2, 4]);
  });

  it("throws when a run exceeds maxEvents, naming the count", () => {
    const s = new Scheduler({ maxEvents: 100 });
    const loop = (): void => {
      s.after(1, loop);
    };
    s.at(0, loop);
    expect(() => s.run()).toThrow(/ran 100 events without finishing; raise maxEvents/);
    expect(s.executed).toBe(100);
  });

  it("refuses to schedule in the past, at a non-finite time or with a negative delay", () => {
    const s = new Scheduler();
    s.advanceTo(50);
    expect(() => s.at(49, () => {}, "late")).toThrow(
      /Cannot schedule late at 49 ns: the clock is already at 50 ns/,
    );
    expect(() => s.at(Number.NaN, () => {})).toThrow(/non-finite/);
    expect(() => s.after(-1, () => {})).toThrow(/negative delay/);
  });

  it("lets advanceTo move the clock up to the next event but never past it", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.at(100, () => seen.push(100), "tick");
    s.advanceTo(60);
    expect(s.nowNs).toBe(60);
    s.advanceTo(100);
    expect(s.nowNs).toBe(100);
    expect(() => s.advanceTo(101)).toThrow(/Cannot skip past the event tick due at 100 ns/);
    expect(() => s.advanceTo(99)).toThrow(/Cannot move the clock back from 100 to 99 ns/);
    expect(seen).toEqual([]);
    s.run();
    expect(seen).toEqual([100]);
  });

  it("lets advanceTo pass a cancelled event", () => {
    const s = new Scheduler();
    s.cancel(s.at(10, () => {}));
    s.advanceTo(20);
    expect(s.nowNs).toBe(20);
  });

  it("keeps heap order under many random insertions", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    // A fixed LCG keeps the order reproducible without a random source.
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const t = x % 1000;
      s.at(t, () => seen.push(t));
    }
    s.run();
    expect(seen).toHaveLength(2000);
    for (let i = 1; i < seen.length; i++)
      if (seen[i]! < seen[i - 1]!) throw new Error(`Out of order at ${i}`);
  });
});

describe("Scheduler.cancelWhere", () => {
  it("cancels only the selected pending events and reports how many", () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    scheduler.at(10, () => ran.push("kernel"), "mirror.resync vg0-m");
    scheduler.at(20, () => ran.push("fault"), "power-cut#0");
    scheduler.at(30, () => ran.push("kernel2"), "job w io");
    expect(scheduler.cancelWhere((e) => e.label !== "power-cut#0")).toBe(2);
    scheduler.run();
    expect(ran).toEqual(["fault"]);
  });
});

describe("Scheduler.adoptClockOf", () => {
  it("takes the clock and sequence but none of the events", () => {
    const run = new Scheduler();
    run.at(50, () => {}, "kernel step");
    run.run(40);
    const branch = new Scheduler();
    branch.adoptClockOf(run, (event) => event.label === "explore");
    expect(branch.nowNs).toBe(40);
    expect(branch.pending).toBe(0);
  });

  it("refuses a run with an event the reboot would keep", () => {
    const run = new Scheduler();
    run.at(50, () => {}, "explore end");
    expect(() => new Scheduler().adoptClockOf(run, (event) => event.label.startsWith("explore"))).toThrow(
      /would outlive the reboot/,
    );
  });
});

describe("Scheduler deadline", () => {
  it("runs events up to the deadline and refuses the first one past it, keeping it pending", () => {
    const s = new Scheduler({ deadlineNs: 1_000 });
    const ran: number[] = [];
    // A poller that reschedules itself forever: only the deadline stops it.
    const poll = (t: number): void => {
      ran.push(t);
      s.at(t + 300, poll, "poll");
    };
    s.at(0, poll, "poll");
    expect(() => s.run()).toThrow(VirtualDeadlineError);
    expect(() => s.run()).toThrow(/deadline of 0.000001 s with "poll" still pending/);
    expect(ran).toEqual([0, 300, 600, 900]);
    expect(s.nowNs).toBe(900);
    expect(s.nextEventNs()).toBe(1_200);
  });

  it("is off by default and refuses a deadline that is not a positive time", () => {
    const s = new Scheduler();
    s.at(1e18, () => {}, "far");
    expect(s.run()).toBe(1);
    expect(() => new Scheduler({ deadlineNs: 0 })).toThrow(RangeError);
    expect(() => new Scheduler({ deadlineNs: Number.NaN })).toThrow(RangeError);
  });
});
