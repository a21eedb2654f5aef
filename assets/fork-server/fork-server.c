// svmtest's fork server: preloaded into a test program, it lets the program's start (the dynamic
// loader, its libraries' constructors, the framework's test registration) happen once, then forks
// one fresh process per test from there. Each child is in its own process group and runs the
// program's main() with the arguments svmtest sends, as if it had been executed with them.
//
// It serves only when SVMTEST_FORK_SERVER_FD names the control socket, and only when a fork is as
// good as a new process: the program asked for (SVMTEST_FORK_SERVER_PROGRAM, not a script's
// interpreter), one thread, and no GPU device open (a KFD or DRM file belongs to the
// process that opened it). Otherwise it says why and exits without running main, and svmtest
// starts each test with its own exec instead.
//
// Control socket, svmtest → server: a command is u32 argc, then argc × (u32 length, bytes); little endian.
// Server → svmtest: frames of u8 kind, u32 length, payload:
//   'R' ready · 'U' unsafe (why, text) · 'P' the child's pid (u32) · 'O'/'E' its stdout/stderr bytes ·
//   'X' its end (i32 exit code or -1, i32 signal or 0), after all of its output.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_main_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);

static main_fn program_main;
static int control = -1;

static void write_all(int fd, const void *data, size_t length) {
  const char *p = data;
  while (length > 0) {
    ssize_t n = write(fd, p, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3); // svmtest is gone: nothing left to serve
    p += n;
    length -= (size_t)n;
  }
}

static void send_frame(char kind, const void *payload, uint32_t length) {
  char header[5];
  header[0] = kind;
  memcpy(header + 1, &length, 4);
  write_all(control, header, 5);
  if (length > 0) write_all(control, payload, length);
}

// 0 at the end of the stream (svmtest closed it), 1 when `length` bytes were read.
static int read_all(int fd, void *data, size_t length) {
  char *p = data;
  while (length > 0) {
    ssize_t n = read(fd, p, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    p += n;
    length -= (size_t)n;
  }
  return 1;
}

// Why forking here would not give a test what a new process gives it, or NULL.
static const char *unsafe_reason(const char *argv0) {
  static char why[512];
  // A script's interpreter is started with the script as its argument: it is not the program asked for.
  const char *program = getenv("SVMTEST_FORK_SERVER_PROGRAM");
  if (!program || !argv0 || strcmp(program, argv0) != 0) return "it is not a native program (a script's interpreter started instead)";
  DIR *tasks = opendir("/proc/self/task");
  if (!tasks) return "cannot read /proc/self/task";
  int threads = 0;
  for (struct dirent *e; (e = readdir(tasks));)
    if (e->d_name[0] != '.') threads++;
  closedir(tasks);
  if (threads != 1) {
    snprintf(why, sizeof why, "the program runs %d threads before main()", threads);
    return why;
  }
  DIR *fds = opendir("/proc/self/fd");
  if (!fds) return "cannot read /proc/self/fd";
  const char *reason = NULL;
  for (struct dirent *e; (e = readdir(fds)) && !reason;) {
    char link[300], path[256];
    snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) continue;
    path[n] = '\0';
    if (strcmp(path, "/dev/kfd") == 0 || strncmp(path, "/dev/dri/", 9) == 0) {
      snprintf(why, sizeof why, "the program opens %s before main()", path);
      reason = why;
    }
  }
  closedir(fds);
  return reason;
}

// Drops this library from LD_PRELOAD (what the tests start keeps the rest) and the control variable.
static void forget_self(void) {
  unsetenv("SVMTEST_FORK_SERVER_FD");
  unsetenv("SVMTEST_FORK_SERVER_PROGRAM");
  Dl_info self;
  const char *preload = getenv("LD_PRELOAD");
  if (!preload || !dladdr((void *)forget_self, &self) || !self.dli_fname) return;
  char *kept = calloc(strlen(preload) + 1, 1);
  char *copy = strdup(preload);
  if (!kept || !copy) return;
  for (char *save = NULL, *entry = strtok_r(copy, ": ", &save); entry; entry = strtok_r(NULL, ": ", &save)) {
    if (strcmp(entry, self.dli_fname) == 0) continue;
    if (*kept) strcat(kept, ":");
    strcat(kept, entry);
  }
  if (*kept) setenv("LD_PRELOAD", kept, 1);
  else unsetenv("LD_PRELOAD");
  free(copy);
  free(kept);
}

static char **read_command(int *argc) {
  uint32_t count;
  if (!read_all(control, &count, 4) || count == 0 || count > 65536) return NULL;
  char **argv = calloc(count + 1, sizeof *argv);
  if (!argv) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t length;
    if (!read_all(control, &length, 4) || length > (1u << 24)) return NULL;
    argv[i] = malloc(length + 1);
    if (!argv[i] || !read_all(control, argv[i], length)) return NULL;
    argv[i][length] = '\0';
  }
  *argc = (int)count;
  return argv;
}

static void run_child(int argc, char **argv, int out, int err) {
  setpgid(0, 0);
  int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(out, 1);
  dup2(err, 2);
  close(null);
  close(out);
  close(err);
  close(control);
  exit(program_main(argc, argv, environ));
}

// Relays a child's output until it ended, then its end; a child's children that keep its
// output open do not hold the end back.
static void relay(pid_t child, int out, int err) {
  int fds[2] = {out, err};
  const char kinds[2] = {'O', 'E'};
  int status = 0, ended = 0;
  char buffer[65536];
  while (fds[0] >= 0 || fds[1] >= 0) {
    struct pollfd p[2];
    int n = 0, which[2];
    for (int i = 0; i < 2; i++)
      if (fds[i] >= 0) {
        p[n].fd = fds[i];
        p[n].events = POLLIN;
        which[n++] = i;
      }
    int ready = poll(p, (nfds_t)n, ended ? 0 : 50);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (ended) break; // its output is drained; what its own children still write is theirs
      if (waitpid(child, &status, WNOHANG) == child) ended = 1;
      continue;
    }
    for (int k = 0; k < n; k++) {
      if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = which[k];
      ssize_t got = read(fds[i], buffer, sizeof buffer);
      if (got > 0) send_frame(kinds[i], buffer, (uint32_t)got);
      else if (got == 0 || errno != EINTR) {
        close(fds[i]);
        fds[i] = -1;
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0) close(fds[i]);
  if (!ended) waitpid(child, &status, 0);
  int32_t end[2] = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
  send_frame('X', end, sizeof end);
}

static int serve(const char *why) {
  if (why) {
    send_frame('U', why, (uint32_t)strlen(why));
    _exit(0);
  }
  send_frame('R', NULL, 0);
  for (;;) {
    int argc;
    char **argv = read_command(&argc);
    if (!argv) _exit(0);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) _exit(4);
    fflush(NULL); // nothing the program buffered before main() is written twice
    pid_t child = fork();
    if (child < 0) _exit(4);
    if (child == 0) run_child(argc, argv, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    setpgid(child, child); // also here: a kill of its group may come before the child ran
    uint32_t pid = (uint32_t)child;
    send_frame('P', &pid, 4);
    relay(child, out[0], err[0]);
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
  }
}

static int start(int argc, char **argv, char **envp) {
  const char *fd = getenv("SVMTEST_FORK_SERVER_FD");
  if (!fd) return program_main(argc, argv, envp);
  control = atoi(fd);
  fcntl(control, F_SETFD, FD_CLOEXEC);
  const char *why = unsafe_reason(argc > 0 ? argv[0] : NULL);
  forget_self();
  return serve(why);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
  start_main_fn next = (start_main_fn)dlsym(RTLD_NEXT, "__libc_start_main");
  program_main = main;
  return next(start, argc, argv, init, fini, rtld_fini, stack_end);
}
