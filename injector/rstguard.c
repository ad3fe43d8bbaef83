/* rstguard.c - nft owner table / iptables rule against the kernel's RST. */
#define _GNU_SOURCE
#include "rstguard.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARD_TAG "synfin-inject"

const char *rstguard_method_name(rstguard_method m)
{
    switch (m) {
    case RSTGUARD_AUTO: return "auto";
    case RSTGUARD_NFT: return "nft";
    case RSTGUARD_IPTABLES: return "iptables";
    case RSTGUARD_NONE: return "none";
    }
    return "?";
}

/* Runs one nft command; on failure copies the first error line into err. */
static int nft_cmd(struct nft_ctx *nft, const char *cmd, char *err, size_t errsize)
{
    int rc = nft_run_cmd_from_buffer(nft, cmd);
    if (rc != 0 && err) {
        const char *e = nft_ctx_get_error_buffer(nft);
        snprintf(err, errsize, "%s", e ? e : "");
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = 0;
    }
    return rc;
}

/* CAP_NET_ADMIN in the effective set (checked first: libnftables prints its
 * own message on stderr when it cannot open its netlink socket). */
static bool have_net_admin(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    bool ok = true;   /* cannot tell: let the kernel decide */
    if (!f)
        return ok;
    while (fgets(line, sizeof line, f)) {
        unsigned long long caps;
        if (sscanf(line, "CapEff: %llx", &caps) == 1) {
            ok = (caps >> 12) & 1;   /* CAP_NET_ADMIN = 12 */
            break;
        }
    }
    fclose(f);
    return ok;
}

static bool is_perm_error(const char *err)
{
    return strstr(err, "Operation not permitted") || strstr(err, "Permission denied");
}

static int nft_open(rstguard *g, char *err, size_t errsize)
{
    g->nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!g->nft) {
        snprintf(err, errsize, "libnftables: cannot create a context");
        return INJ_EXIT_FAIL;
    }
    nft_ctx_buffer_output(g->nft);
    nft_ctx_buffer_error(g->nft);
    snprintf(g->table, sizeof g->table, "synfin_inject_%ld", (long)getpid());
    char cmd[256];
    /* owner: the table lives as long as this context's netlink socket */
    snprintf(cmd, sizeof cmd,
             "add table inet %s { flags owner; }\n"
             "add chain inet %s pre { type filter hook prerouting priority -300; policy accept; }\n",
             g->table, g->table);
    if (nft_cmd(g->nft, cmd, err, errsize) != 0) {
        int code = is_perm_error(err) ? INJ_EXIT_PRIV : INJ_EXIT_FAIL;
        nft_ctx_free(g->nft);
        g->nft = NULL;
        return code;
    }
    return INJ_EXIT_OK;
}

/* fork + exec argv with stdout/stderr to /dev/null (or stdout to outfd). */
/* In a forked child: run a firewall tool, from /usr/sbin first (root's PATH
 * may lack it).  A SIGINT meant for us must not kill the rule removal. */
static void exec_sbin(char *const argv[])
{
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    char path[64];
    snprintf(path, sizeof path, "/usr/sbin/%s", argv[0]);
    execv(path, argv);
    execvp(argv[0], argv);
    _exit(127);
}

static int run_prog(char *const argv[], int outfd)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int dn = open("/dev/null", O_RDWR);
        if (dn >= 0) {
            dup2(dn, 0);
            dup2(outfd >= 0 ? outfd : dn, 1);
            dup2(dn, 2);
        }
        exec_sbin(argv);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* iptables-nft creates the nft table "ip raw" / "ip6 raw" for the first rule
 * and leaves it, empty, after the last one is deleted.  Returns 1 if the
 * table exists and holds no rule, 2 if it holds rules, 0 if it does not
 * exist (or nf_tables cannot be asked). */
static int raw_table_state(int family)
{
    struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!nft)
        return 0;
    nft_ctx_buffer_output(nft);
    nft_ctx_buffer_error(nft);
    nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_HANDLE);
    int st = 0;
    if (nft_run_cmd_from_buffer(nft, family == AF_INET6 ? "list table ip6 raw\n" : "list table ip raw\n") == 0) {
        char *out = strdup(nft_ctx_get_output_buffer(nft));
        st = 1;
        char *save = NULL;
        for (char *l = out ? strtok_r(out, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
            while (*l == ' ' || *l == '\t')
                l++;
            if (strstr(l, "# handle") && strncmp(l, "table ", 6) != 0 && strncmp(l, "chain ", 6) != 0)
                st = 2;
        }
        free(out);
    }
    nft_ctx_free(nft);
    return st;
}

static const char *ipt_prog(int family) { return family == AF_INET6 ? "ip6tables" : "iptables"; }

static int ipt_rule(rstguard *g, const char *op)
{
    char *argv[] = {
        (char *)ipt_prog(g->family), "-w", "5", "-t", "raw", (char *)op, "PREROUTING",
        "-p", "tcp", "-s", g->rule[0], "-d", g->rule[1], "--sport", g->rule[2], "--dport", g->rule[3],
        "-m", "comment", "--comment", g->rule[4], "-j", "DROP", NULL
    };
    return run_prog(argv, -1);
}

int rstguard_open(rstguard *g, rstguard_method want, int family, bool verbose)
{
    char err[256] = "";
    memset(g, 0, sizeof *g);
    g->family = family;
    g->verbose = verbose;
    g->method = want;
    if (want == RSTGUARD_NONE)
        return INJ_EXIT_OK;
    if (!have_net_admin()) {
        inj_error("the RST guard needs CAP_NET_ADMIN (or use an unowned --src with --rst-guard none)");
        return INJ_EXIT_PRIV;
    }
    if (want == RSTGUARD_NFT || want == RSTGUARD_AUTO) {
        int rc = nft_open(g, err, sizeof err);
        if (rc == INJ_EXIT_OK) {
            g->method = RSTGUARD_NFT;
            return rc;
        }
        if (rc == INJ_EXIT_PRIV) {
            inj_error("the RST guard (nft) needs CAP_NET_ADMIN: %s", err);
            return rc;
        }
        if (want == RSTGUARD_NFT) {
            inj_error("RST guard: nft failed: %s", err);
            return rc;
        }
        if (verbose)
            inj_msg("note", "nft owner table not available (%s); trying iptables", err);
    }
    /* iptables: check that the program runs and we may use it */
    char *argv[] = { (char *)ipt_prog(family), "-w", "5", "-t", "raw", "-S", "PREROUTING", NULL };
    g->raw_table_before = raw_table_state(family) != 0;
    int rc = run_prog(argv, -1);
    if (rc == 0) {
        g->method = RSTGUARD_IPTABLES;
        return INJ_EXIT_OK;
    }
    if (rc == 4 || (rc == 1 && geteuid() != 0)) {
        inj_error("the RST guard (%s) needs CAP_NET_ADMIN", ipt_prog(family));
        return INJ_EXIT_PRIV;
    }
    inj_error("no RST guard available: %s%s fails (exit %d); use --rst-guard none with an unowned --src",
              want == RSTGUARD_AUTO ? "nft and " : "", ipt_prog(family), rc);
    return INJ_EXIT_FAIL;
}

int rstguard_cover(rstguard *g, const inj_addr *server, uint16_t sport_server,
                   const inj_addr *client, uint16_t port_lo, uint16_t port_hi)
{
    char s[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], ports[16];
    if (port_hi <= port_lo)
        snprintf(ports, sizeof ports, "%u", port_lo);
    else
        snprintf(ports, sizeof ports, "%u-%u", port_lo, port_hi);
    inj_addr_str(server, s, sizeof s);
    inj_addr_str(client, c, sizeof c);
    if (g->method == RSTGUARD_NFT) {
        char cmd[512], err[256] = "";
        const char *fam = server->family == AF_INET6 ? "ip6" : "ip";
        snprintf(cmd, sizeof cmd,
                 "flush chain inet %s pre\n"
                 "add rule inet %s pre %s saddr %s %s daddr %s tcp sport %u tcp dport %s counter drop comment \"%s\"\n",
                 g->table, g->table, fam, s, fam, c, sport_server, ports, GUARD_TAG);
        if (nft_cmd(g->nft, cmd, err, sizeof err) != 0) {
            inj_error("RST guard: nft rule failed: %s", err);
            return is_perm_error(err) ? INJ_EXIT_PRIV : INJ_EXIT_FAIL;
        }
        return INJ_EXIT_OK;
    }
    if (g->method == RSTGUARD_IPTABLES) {
        if (g->rule_active) {
            ipt_rule(g, "-D");
            g->rule_active = false;
        }
        snprintf(g->rule[0], sizeof g->rule[0], "%s", s);
        snprintf(g->rule[1], sizeof g->rule[1], "%s", c);
        snprintf(g->rule[2], sizeof g->rule[2], "%u", sport_server);
        snprintf(g->rule[3], sizeof g->rule[3], "%s", ports);
        for (char *q = g->rule[3]; *q; q++)
            if (*q == '-')
                *q = ':';   /* iptables writes a port range LO:HI */
        snprintf(g->rule[4], sizeof g->rule[4], "%s:%ld", GUARD_TAG, (long)getpid());
        int rc = ipt_rule(g, "-I");
        if (rc != 0) {
            inj_error("RST guard: %s -I failed (exit %d)", ipt_prog(g->family), rc);
            return INJ_EXIT_FAIL;
        }
        g->rule_active = true;
    }
    return INJ_EXIT_OK;
}

void rstguard_close(rstguard *g)
{
    if (g->nft) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "delete table inet %s\n", g->table);
        nft_cmd(g->nft, cmd, NULL, 0);
        nft_ctx_free(g->nft);   /* closing the socket would remove an owner table anyway */
        g->nft = NULL;
    }
    if (g->rule_active) {
        int rc = ipt_rule(g, "-D");
        if (rc != 0)
            inj_msg("warning", "could not remove the %s rule (exit %d); run synfin-inject --cleanup",
                    ipt_prog(g->family), rc);
        g->rule_active = false;
        /* leave nf_tables as we found it: drop the empty table iptables-nft made */
        if (rc == 0 && !g->raw_table_before && raw_table_state(g->family) == 1) {
            struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
            if (nft) {
                nft_ctx_buffer_output(nft);
                nft_ctx_buffer_error(nft);
                nft_run_cmd_from_buffer(nft, g->family == AF_INET6 ? "delete table ip6 raw\n" : "delete table ip raw\n");
                nft_ctx_free(nft);
            }
        }
    }
}

static bool pid_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int cleanup_nft(bool quiet, int *removed)
{
    struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!nft)
        return INJ_EXIT_FAIL;
    nft_ctx_buffer_output(nft);
    nft_ctx_buffer_error(nft);
    char err[256] = "";
    if (nft_cmd(nft, "list tables\n", err, sizeof err) != 0) {
        nft_ctx_free(nft);
        if (is_perm_error(err)) {
            inj_error("--cleanup needs CAP_NET_ADMIN");
            return INJ_EXIT_PRIV;
        }
        return INJ_EXIT_OK;   /* no nf_tables at all: nothing to clean */
    }
    char *list = strdup(nft_ctx_get_output_buffer(nft));
    int rc = INJ_EXIT_OK;
    char *save = NULL;
    for (char *line = list ? strtok_r(list, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        char fam[16], name[64];
        if (sscanf(line, "table %15s %63s", fam, name) != 2 || strncmp(name, "synfin_inject_", 14) != 0)
            continue;
        if (pid_alive(strtol(name + 14, NULL, 10)))
            continue;   /* a live run's table */
        char cmd[128];
        snprintf(cmd, sizeof cmd, "delete table %s %s\n", fam, name);
        if (nft_cmd(nft, cmd, err, sizeof err) == 0) {
            (*removed)++;
            if (!quiet)
                printf("removed nft table %s %s\n", fam, name);
        } else {
            inj_error("cannot delete nft table %s %s: %s", fam, name, err);
            rc = INJ_EXIT_FAIL;
        }
    }
    free(list);
    nft_ctx_free(nft);
    return rc;
}

/* Runs argv and collects its stdout (read while it runs: no pipe deadlock). */
static int run_prog_out(char *const argv[], char *buf, size_t size)
{
    int pfd[2];
    size_t n = 0;
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        int dn = open("/dev/null", O_RDWR);
        if (dn >= 0) {
            dup2(dn, 0);
            dup2(dn, 2);
        }
        dup2(pfd[1], 1);
        exec_sbin(argv);
    }
    close(pfd[1]);
    for (;;) {
        char tmp[4096];
        ssize_t r = read(pfd[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r;
        if (n + take > size - 1)
            take = size - 1 - n;   /* keep draining, drop the excess */
        memcpy(buf + n, tmp, take);
        n += take;
    }
    buf[n] = 0;
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cleanup_ipt(const char *prog, bool quiet, int *removed)
{
    int removed_before = *removed;
    char *argv[] = { (char *)prog, "-w", "5", "-t", "raw", "-S", "PREROUTING", NULL };
    size_t bufsize = 1 << 18;
    char *buf = malloc(bufsize);
    if (!buf)
        return INJ_EXIT_FAIL;
    int rc = run_prog_out(argv, buf, bufsize);
    if (rc != 0) {
        free(buf);
        return INJ_EXIT_OK;   /* program missing or no raw table: nothing of ours */
    }
    int ret = INJ_EXIT_OK;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *tag = strstr(line, GUARD_TAG ":");
        if (strncmp(line, "-A PREROUTING ", 14) != 0 || !tag)
            continue;
        if (pid_alive(strtol(tag + strlen(GUARD_TAG) + 1, NULL, 10)))
            continue;
        /* split the -S line into argv (no quoting in our own rules but the comment quotes) */
        char *args[40];
        int argc = 0;
        args[argc++] = (char *)prog;
        args[argc++] = "-w";
        args[argc++] = "5";
        args[argc++] = "-t";
        args[argc++] = "raw";
        args[argc++] = "-D";
        char *save2 = NULL;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", line + 3);   /* skip "-A " */
        for (char *tok = strtok_r(copy, " ", &save2); tok && argc < 39; tok = strtok_r(NULL, " ", &save2)) {
            size_t tl = strlen(tok);
            if (tl >= 2 && tok[0] == '"' && tok[tl - 1] == '"') {
                tok[tl - 1] = 0;
                tok++;
            }
            args[argc++] = tok;
        }
        args[argc] = NULL;
        if (run_prog(args, -1) == 0) {
            (*removed)++;
            if (!quiet)
                printf("removed %s rule: %s\n", prog, line);
        } else {
            inj_error("cannot remove %s rule: %s", prog, line);
            ret = INJ_EXIT_FAIL;
        }
    }
    free(buf);
    /* the empty table iptables-nft leaves after our rule (only when we removed one) */
    int family = strcmp(prog, "ip6tables") == 0 ? AF_INET6 : AF_INET;
    if (*removed > removed_before && raw_table_state(family) == 1) {
        struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
        if (nft) {
            nft_ctx_buffer_output(nft);
            nft_ctx_buffer_error(nft);
            const char *t = family == AF_INET6 ? "ip6 raw" : "ip raw";
            char cmd[64];
            snprintf(cmd, sizeof cmd, "delete table %s\n", t);
            if (nft_run_cmd_from_buffer(nft, cmd) == 0 && !quiet)
                printf("removed empty nft table %s (left by iptables-nft)\n", t);
            nft_ctx_free(nft);
        }
    }
    return ret;
}

int rstguard_cleanup(bool quiet)
{
    int removed = 0;
    if (!have_net_admin()) {
        inj_error("--cleanup needs CAP_NET_ADMIN");
        return INJ_EXIT_PRIV;
    }
    int rc = cleanup_nft(quiet, &removed);
    if (rc == INJ_EXIT_PRIV)
        return rc;
    int r4 = cleanup_ipt("iptables", quiet, &removed);
    int r6 = cleanup_ipt("ip6tables", quiet, &removed);
    if (!quiet)
        printf("cleanup: %d item%s removed\n", removed, removed == 1 ? "" : "s");
    fflush(stdout);
    return rc != INJ_EXIT_OK ? rc : r4 != INJ_EXIT_OK ? r4 : r6;
}
