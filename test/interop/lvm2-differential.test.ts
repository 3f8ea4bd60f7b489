import { afterAll, describe, expect, it } from "vitest";
import { realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";
import { compare, images as makeImages, scratchDir } from "./differential.js";

/**
 * Each command runs on real LVM2 (loop devices) and on lvmlab (image copies whose device names are
 * the same loop names); every printed line and the exit code must agree. LVM2 interleaves stdout
 * and stderr, so lines are compared as sorted lists.
 */
const SEQUENCES: Record<string, readonly string[]> = {
  "sizes, rounding, names and refusals": [
    "pvcreate DEV0 DEV1 DEV2",
    "vgcreate vg0 DEV0 DEV1",
    "vgs",
    "lvs",
    "lvcreate -an -Zn -l 50%FREE -n half vg0",
    "lvcreate -an -Zn -L 3.3M -n odd vg0",
    "lvcreate -an -Zn -l 100%FREE -n rest vg0",
    "vgextend vg0 DEV2",
    "lvextend -l +100%FREE vg0/odd",
    "lvs --segments",
    "lvreduce -f -L -1M vg0/odd",
    "lvreduce -f -L -5M vg0/odd",
    "lvcreate -an -Zn -i 2 -l 3 -n st vg0",
    "lvextend -l +1 vg0/st",
    "lvcreate -an -Zn -l 1 vg0",
    "lvremove vg0/nosuch",
    "lvs nosuch/x",
    "vgs nosuch",
    "pvs DEV3",
    "pvremove DEV0",
    "vgreduce vg0 DEV2",
    "lvremove -f vg0/half",
    "pvs -o +pv_used",
    "lvrename vg0/odd vg0/half",
    "lvrename vg0 half",
    "vgrename vg0 vg1",
    "vgrename vg1 vg0",
    "lvcreate -an -Zn -l 1 -n snapshot vg0",
    "lvcreate -an -Zn -l 1 -n a_mlog vg0",
    "lvcreate -an -Zn -l 1 -n -x vg0",
    "vgcreate vg0 DEV3",
    "vgcreate bad:name DEV3",
    "vgcreate vg2 DEV0",
    "pvchange -x n DEV0",
    "pvchange -x n DEV0",
    "pvs",
    "pvchange -x y DEV0",
    "vgchange -a n vg0",
    "vgs -o vg_name,vg_mda_count,vg_seqno,vg_extent_count,vg_free_count",
    "lvcreate --bogus vg0",
    "lvcreate -L 1Q vg0",
    "lvcreate -l 1x vg0",
    "lvcreate vg0",
    "lvcreate -l 1 -i 0 vg0",
    "lvremove -f vg0",
    "vgremove vg0",
    "pvs",
  ],
  "orphans, metadata copies, PV ranges, percentages and export": [
    "pvcreate DEV0",
    "pvcreate --metadatacopies 2 DEV1",
    "pvcreate --pvmetadatacopies 0 DEV2",
    "pvs --reportformat json -o pv_name,pv_attr,pv_pe_count,pe_start,pv_size,pv_free,dev_size,pv_mda_count,vg_name",
    "pvs -o +pv_uuid,pv_mda_count",
    "pvck DEV1",
    "pvck DEV2",
    "pvck DEV3",
    "vgcreate vg0 DEV0 DEV1 DEV2",
    "vgs -o +vg_mda_count,pv_count",
    "pvs -o pv_name,pv_mda_count,pv_pe_count",
    "lvcreate -an -Zn -l 50%PVS -n half vg0 DEV1",
    "lvcreate -an -Zn -l 3 -n ranges vg0 DEV0:3-4:8+1",
    "lvcreate -an -Zn -l 10%VG -n tenth vg0",
    "lvcreate -an -Zn -l 100%FREE -n rest vg0 DEV2",
    "lvcreate -an -Zn -l 1 -n full vg0 DEV2",
    "lvs -o lv_name,seg_pe_ranges",
    "lvs -a -o +lv_layout,lv_role,lv_path,lv_full_name,seg_count",
    "vgexport vg0",
    "vgexport vg0",
    "vgs",
    "pvs",
    "lvs",
    "lvcreate -l 1 vg0",
    "vgimport vg0",
    "vgimport vg0",
    "vgchange -ay vg0",
    "vgchange -an",
    "lvchange -an vg0/half",
    "vgck",
    "vgck --updatemetadata vg0",
    "vgs -o vg_name,vg_seqno",
    "pvdisplay -m DEV0",
    "lvdisplay vg0/nosuch",
    "vgdisplay vg0",
    "vgremove -f vg0",
    "pvdisplay",
    "pvremove DEV0 DEV1",
    "pvck DEV1",
    "pvs",
  ],
  "vgsplit through an exported copy and vgmerge updating old metadata": [
    "pvcreate DEV0 DEV1 DEV2",
    "vgcreate vg0 DEV0 DEV1 DEV2",
    "lvcreate -an -Zn -l 2 -n a vg0 DEV0",
    "lvcreate -an -Zn -l 3 -n c vg0 DEV2",
    "vgsplit vg0 vg1 DEV2",
    "vgs -o +vg_seqno,vg_attr",
    "pvs",
    "lvs -o +devices",
    "vgsplit vg0 vg1 DEV1",
    "vgs -o +vg_seqno",
    "vgmerge vg0 vg1",
    "vgs -o +vg_seqno",
    "lvs -o +devices",
    "vgcreate vg5 DEV3",
    "lvcreate -an -Zn -l 40 -n big vg5",
    "lvcreate -an -Zn -l 1 -n b vg0",
    "vgmerge vg5 vg0",
    "vgs -o +vg_seqno",
    "lvs",
  ],
  "report options, units, sorting and field names": [
    "pvcreate DEV0 DEV1 DEV2 DEV3",
    "vgcreate vg0 DEV0 DEV1",
    "vgcreate -s 1M vg1 DEV2 DEV3",
    "lvcreate -an -Zn -l 3 -n a vg0",
    "lvcreate -an -Zn -i 2 -I 16k -l 4 -n b vg0",
    "lvcreate -an -Zn -L 5M -n c vg1",
    "lvextend -l +3 vg1/c DEV3",
    "lvs --separator , --aligned",
    "lvs --separator | --noheadings -o lv_name,lv_size",
    "lvs --nosuffix --units h",
    "lvs --units H",
    "lvs --units M -o lv_name,lv_size,seg_size --segments",
    "lvs -O vg_name,-lv_size",
    "lvs -O -seg_start --segments",
    "pvs --segments -o +pvseg_start,pvseg_size",
    "pvs -o pv_name,pv_used,pv_free --units s --nosuffix",
    "vgs -o +vg_extent_size --units b",
    "vgs --reportformat json --units k",
    "lvs --reportformat json -a vg1",
    "pvs -o +dev_size,pe_start --units m",
    "lvs -o size,name,attr",
    "vgs -o name,size,free",
    "pvs -o name,size",
    "lvs -o +stripesize,seg_start_pe --segments vg0/b",
    "lvs -o LV_NAME,SegType",
    "lvs -a -o lv_name,devices vg0 vg1",
    "lvs vg1/c vg0/a",
    "vgs vg1 vg0",
    "pvs DEV3 DEV0",
  ],
  "command-line refusals": [
    "pvcreate DEV0 DEV1",
    "vgcreate vg0 DEV0 DEV1",
    "lvcreate -an -Zn -l 2 -n lv0 vg0",
    "lvextend -l +1 vg0",
    "vgcreate vg9 /dev/nosuch",
    "pvcreate /dev/nosuch",
    "pvs --units x",
    "lvcreate -L 0 vg0",
    "lvcreate -l 0 vg0",
    "lvcreate -L -5M vg0",
    "lvextend -L 1M vg0/lv0",
    "lvreduce -f -l 0 vg0/lv0",
    "lvreduce -f -L 12M vg0/lv0",
    "lvrename vg0/lv0 vg0/lv0",
    "lvcreate -l 1 --alloc bogus vg0",
    "vgextend vg0",
    "lvchange -ay vg0",
    "lvchange vg0/lv0",
    "vgchange vg0",
    "lvs",
  ],
  "tags, @tag arguments and -S selection": [
    "pvcreate DEV0 DEV1",
    "vgcreate vg0 DEV0 DEV1",
    "lvcreate -an -Zn -L 8M --addtag db -n lv0 vg0",
    "lvcreate -an -Zn -L 12M -n lv1 vg0",
    "lvcreate -an -Zn -L 4M --addtag bad,tag -n lv2 vg0",
    "lvchange --addtag web --addtag db vg0/lv1",
    "lvchange --deltag db vg0/lv1",
    "vgchange --addtag site1 vg0",
    "lvs -o lv_name,lv_tags",
    "vgs -o vg_name,vg_tags",
    "lvs @db",
    "lvs @web -o lv_name",
    "lvs @site1 -o lv_name",
    "vgs @site1",
    "vgs @nosuch",
    "lvs -S lv_size>8m -o lv_name,lv_size",
    "lvs -S lv_name=lv0||lv_name=lv1 -o lv_name",
    "lvs -S lv_name=~^lv[01]$ -o lv_name",
    "lvs -S lv_name!=lv0 -o lv_name",
    "vgs -S vg_free<100m -o vg_name",
    "pvs -S pv_free>=20m -o pv_name",
  ],
  "stripes, extent sizes, split, merge and pvresize": [
    "pvcreate DEV0 DEV1 DEV2",
    "vgcreate vg0 DEV0 DEV1",
    "vgcreate -s 3M vgx DEV3",
    "lvcreate -an -Zn -l 5 -n l3 vgx",
    "lvcreate -an -Zn -i 2 -I 128 -l 4 -n s2 vg0",
    "lvcreate -an -Zn -l 10 -C y -n c1 vg0",
    "lvs -a -o +seg_pe_ranges,stripe_size",
    "lvextend -L +10M vg0/s2",
    "lvresize -l 8 vg0/s2",
    "lvresize -f -l 6 vg0/s2",
    "lvextend -l +3 vg0/s2",
    "lvreduce -f -l -3 vg0/s2",
    "lvs --segments -o +devices",
    "vgsplit vg0 vgx DEV1",
    "vgmerge vg0 vgx",
    "pvresize DEV0",
    "pvresize --setphysicalvolumesize 40M DEV0",
    "pvresize -y --setphysicalvolumesize 62M DEV1",
    "pvresize --setphysicalvolumesize 100M DEV1",
    "pvs",
    "vgs --units s",
    "vgremove -f vgx",
    "vgremove -f vg0",
  ],
};

const unavailable = realLvm2Unavailable();
const scratch = scratchDir("lvmlab-diff-");
afterAll(scratch.remove);
const images = (tag: string): string[] => makeImages(scratch.dir, tag);

describe.skipIf(unavailable !== undefined)("lvmlab lvm answers like real LVM2, command by command", () => {
  for (const [title, sequence] of Object.entries(SEQUENCES)) {
    it(title, () => {
      const tag = title.replace(/\W+/g, "-");
      const differences = compare(images(`${tag}-real`), images(`${tag}-mine`), sequence);
      expect(differences.join("\n\n")).toBe("");
    });
  }

  it("a VG with a missing PV: warnings, partial LVs, refused changes and vgreduce --removemissing", () => {
    const real = images("missing-real");
    const mine = images("missing-mine");
    let firstNames: readonly string[] = [];
    withLoopDevices(real.slice(0, 3), (set) => {
      firstNames = set.devices;
    });
    // Build the VG on three PVs, then look at it with the third one gone.
    const build = compare(real.slice(0, 3), mine.slice(0, 3), [
      "pvcreate DEV0 DEV1 DEV2",
      "vgcreate vg0 DEV0 DEV1 DEV2",
      "lvcreate -an -Zn -l 2 -n keep vg0 DEV0",
      "lvcreate -an -Zn -l 2 -n lost vg0 DEV2",
      "lvcreate -an -Zn -i 2 -l 2 -n span vg0 DEV1 DEV2",
    ]);
    expect(build.join("\n\n")).toBe("");
    const missing = compare(
      real.slice(0, 2),
      mine.slice(0, 2),
      [
        "vgs",
        "pvs",
        "lvs -a -o +devices",
        "lvcreate -an -Zn -l 1 -n new vg0",
        "vgreduce --removemissing vg0",
        "vgs -o +vg_seqno",
        "vgreduce --removemissing --force vg0",
        "vgs -o +vg_seqno",
        "pvs",
        "lvs",
        "vgreduce --removemissing vg0",
      ],
      { deviceNames: firstNames },
    );
    expect(missing.join("\n\n")).toBe("");
  });
});

describe.runIf(unavailable !== undefined)("lvmlab lvm answers like real LVM2", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
