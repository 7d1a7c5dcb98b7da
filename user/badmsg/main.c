// SPDX-License-Identifier: MIT
/* badmsg - corrupted messages to every service (docs/testing.md, "Fault
 * injection"). One binary, two roles chosen by argv[0] (its manifest name,
 * /etc/chaos-badmsg.conf):
 *   badmsg   sends each service it holds a capability for (console, vfs,
 *            init, pci, net, netdev) the malformed requests of cases.c:
 *            unknown operations, bad lengths and offsets, bad handles,
 *            truncated and oversized payloads, missing, wrong or
 *            under-privileged capabilities. Each must get an error reply
 *            (the code the protocol documents where it names one); requests
 *            that carry a capability the operation does not take must be
 *            answered and the capability not kept (INIT_CAPS of the service:
 *            its capability count is unchanged). After each service's batch
 *            a well-formed request from this client must still work, and at
 *            the end no service may have restarted.
 *   goodmsg  a second client: waits until badmsg has ended (INIT_PS), then
 *            makes well-formed requests to every service.
 * Output: "TEST badmsg/<service>/<check> ok|FAIL <why>", one "BADMSG
 * <service>: ..." numbers line per service, "BADMSG DONE <p> passed, <f>
 * failed" (goodmsg: "GOODMSG DONE ..."). */
#include "badmsg.h"

unsigned bm_passed, bm_failed;
bool bm_kernel_refused;

void bm_result(const char *svc, const char *check, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (mos_test_vline("badmsg", svc, check, ok, fmt, ap))
        bm_passed++;
    else
        bm_failed++;
    va_end(ap);
}

long bm_call(mos_handle_t ep, uint32_t op, const uint64_t w[MOS_MSG_WORDS], const void *data, size_t len,
             const mos_handle_t *caps, unsigned ncaps, struct mos_msg *rep)
{
    long r = mos_call(ep, op, w, data, len, caps, ncaps, rep);
    bm_kernel_refused = r < 0;
    if (r < 0)
        return r;
    for (unsigned i = 0; i < mos_msg_ncaps(rep->info); i++) {
        mos_handle_t c = mos_msg_cap(rep, i);
        if (c)
            (void)mos_cap_delete(c);
    }
    return (int32_t)mos_msg_label(rep->info);
}

/* INIT_PS: the entry of `name` copied to *out; false if absent. */
bool bm_ps(mos_handle_t init, const char *name, struct init_proc *out)
{
    struct mos_msg rep;
    if (bm_call(init, INIT_PS, NULL, NULL, 0, NULL, 0, &rep) != 0)
        return false;
    uint32_t n = mos_msg_bytes(rep.info) / sizeof(struct init_proc);
    const struct init_proc *p = mos_msg_data(&rep);
    for (uint32_t i = 0; i < n; i++) {
        if (strncmp(p[i].name, name, sizeof p[i].name) == 0) {
            *out = p[i];
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *role = argc > 0 && argv[0] ? argv[0] : "badmsg";
    mos_handle_t init = mos_cap_by_name("init");
    if (!init) {
        printf("%s: no \"init\" capability\n", role);
        return 2;
    }
    if (strcmp(role, "goodmsg") == 0) {
        bm_good(init);
        printf("GOODMSG DONE %u passed, %u failed\n", bm_passed, bm_failed);
    } else {
        bm_bad(init);
        printf("BADMSG DONE %u passed, %u failed\n", bm_passed, bm_failed);
    }
    return bm_failed ? 1 : 0;
}
