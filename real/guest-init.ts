/**
 * The guest's `/init`: mount the kernel filesystems, load the modules in dependency order, read the
 * command script from the first virtio disk (`/dev/vda`, zero-padded text), run it, and power off.
 * Everything the host parses is a console line starting with {@link MARK}; the kernel is told to
 * print nothing below emergencies so its messages do not interleave with them.
 */

/** The prefix of every line the host reads from the guest's console. */
export const MARK = "@@LVMLAB";

/** Where the initramfs keeps the modules and the order file. */
export const GUEST_MODULE_DIR = "/lib/modules/lvmlab";

/** The init script (busybox sh). */
export function guestInit(): string {
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run/lvm /run/lock/lvm /etc/lvm/backup /etc/lvm/archive /usr/bin /sbin
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1 HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 > /proc/sys/kernel/printk
while read -r m; do
  insmod "${GUEST_MODULE_DIR}/$m" || echo "${MARK} WARN insmod $m failed"
done < ${GUEST_MODULE_DIR}/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do usleep 50000; i=$((i + 1)); done
tr -d '\\000' < /dev/vda > /tmp/run.sh
echo "${MARK} BOOTED $(uname -r)"
sh /tmp/run.sh
echo "${MARK} HALT $?"
sync
poweroff -f
`;
}
