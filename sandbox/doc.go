// Package sandbox runs a command that airlock does not trust (an allowlisted
// install script, through the native tool) with as little power as Linux can
// take away from it, and refuses to run it at all when the kernel cannot take
// that power away.
//
// Run starts the command in a child of a re-executed airlock (see ChildMain)
// with:
//
//   - new user, mount, PID, IPC and UTS namespaces, and a new network
//     namespace (loopback only, down) unless Spec.Network is set;
//   - no capabilities: the bounding set is dropped and no_new_privs is set
//     before the command is executed;
//   - Landlock: read and execute beneath Spec.Read, read and write beneath
//     Spec.Write (the package's directory and a private temporary directory
//     that is also HOME and TMPDIR), a few device files, and nothing else:
//     not $HOME, not ~/.npmrc, not ssh keys, not the airlock cache. With
//     Landlock ABI 4 TCP bind/connect are denied too when the network is off,
//     with ABI 6 abstract unix sockets and signals outside the sandbox;
//   - rlimits on CPU time, address space, processes, file size and open files,
//     and no core dumps. Root is exempt from RLIMIT_NPROC, so the sandbox
//     also joins a pids cgroup with pids.max = Limits.Processes when one can
//     be made (cgroup v1 pids hierarchy, or a v2 cgroup delegating pids), and
//     a watch on its PID namespace kills it once it holds more processes than
//     that (a fork bomb), whoever runs it;
//   - an environment built from an allowlist, never carrying tokens, keys,
//     secrets or npm auth settings;
//   - a wall-clock timeout, after which the whole PID namespace is killed.
//
// Fail closed: Capabilities says what this kernel offers, and Run returns an
// ErrUnavailable error naming what is missing instead of running with less.
package sandbox
