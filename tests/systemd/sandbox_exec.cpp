// sandbox_exec: runs a command under the restrictions of systemd/reportd.service
// that a test can apply without systemd (tests/systemd/sandbox_test.py):
// NoNewPrivileges, LimitCORE=0, LimitMEMLOCK, UMask=0077, the syscall filter
// (an allow list minus a deny list, EPERM otherwise, as SystemCallFilter= and
// SystemCallErrorNumber=EPERM), RestrictAddressFamilies= and
// MemoryDenyWriteExecute=, all as seccomp filters like systemd installs them.
//
//   sandbox_exec --allow FILE --deny FILE --families AF_UNIX,AF_INET,AF_INET6 -- CMD ARGS...
//
// FILE holds one syscall name per line (expanded from systemd's groups by
// `systemd-analyze syscall-filter`); names this kernel or libseccomp does not
// know are skipped, as systemd does.
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "sandbox_exec: %s\n", what.c_str());
  return 127;
}

std::set<std::string> read_names(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') out.insert(line);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string allow_file, deny_file, families = "AF_UNIX,AF_INET,AF_INET6";
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) return fail("missing value after " + a);
    if (a == "--allow") allow_file = argv[++i];
    else if (a == "--deny") deny_file = argv[++i];
    else if (a == "--families") families = argv[++i];
    else return fail("unknown option " + a);
  }
  if (i >= argc || allow_file.empty()) {
    return fail("usage: sandbox_exec --allow FILE [--deny FILE] [--families LIST] -- CMD ARGS...");
  }

  // NoNewPrivileges=yes, LimitCORE=0, LimitMEMLOCK=64M, UMask=0077.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("PR_SET_NO_NEW_PRIVS failed");
  rlimit core{0, 0};
  // LimitMEMLOCK=64M, or less when this container's hard limit is lower.
  rlimit memlock{};
  getrlimit(RLIMIT_MEMLOCK, &memlock);
  memlock.rlim_max = std::min<rlim_t>(memlock.rlim_max, 64u << 20);
  memlock.rlim_cur = memlock.rlim_max;
  if (setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_MEMLOCK, &memlock) != 0) {
    return fail(std::string("setrlimit: ") + std::strerror(errno));
  }
  umask(0077);

  std::set<std::string> allowed = read_names(allow_file);
  for (const std::string& d : read_names(deny_file)) allowed.erase(d);
  // The filter must let this process exec the command.
  allowed.insert("execve");

  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return fail("seccomp_init failed");
  int known = 0;
  for (const std::string& name : allowed) {
    if (name == "socket" || name == "mmap" || name == "mprotect" || name == "pkey_mprotect") {
      continue;  // allowed below, with argument rules
    }
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0) ++known;
  }

  // RestrictAddressFamilies=: socket() with any other family fails.
  const std::map<std::string, int> names = {{"AF_UNIX", AF_UNIX}, {"AF_INET", AF_INET},
                                            {"AF_INET6", AF_INET6}, {"AF_NETLINK", AF_NETLINK}};
  std::stringstream list(families);
  std::string fam;
  while (std::getline(list, fam, ',')) {
    auto it = names.find(fam);
    if (it == names.end()) return fail("unknown address family " + fam);
    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                     SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(it->second)));
  }
  // MemoryDenyWriteExecute=yes: no mapping both writable and executable.
  const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_WRITE));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_EXEC));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wx, 0));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                   SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pkey_mprotect), 1,
                   SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  // SystemCallArchitectures=native: libseccomp's default context is native only.

  if (known < 100) return fail("the allow list resolved to only " + std::to_string(known) + " syscalls");
  if (int rc = seccomp_load(ctx); rc != 0) return fail(std::string("seccomp_load: ") + std::strerror(-rc));
  seccomp_release(ctx);
  execv(argv[i], argv + i);
  return fail(std::string("cannot exec ") + argv[i] + ": " + std::strerror(errno));
}
