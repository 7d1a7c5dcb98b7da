# SPDX-License-Identifier: MIT
"""scenarios_shell.py - the interactive system end to end: boot the normal
image, type at the shell over the serial console (e2e_shell.shell_e2e, one
result per check), and end with `shutdown`, which powers QEMU off (exit
status 0)."""
import qemu as qemu_driver
import scenarios as S
from e2e_shell import shell_e2e


def scenarios():
    return [
        S.Scenario(name="shell-e2e", iso=S.NORMAL_ISO, mem="512M", smp=2, timeout=240.0,
                   required_phases=(1, 2, 3, 4, 5), expect_exit=qemu_driver.EXIT_QUIT, ktests=False,
                   post_boot=shell_e2e),
    ]
