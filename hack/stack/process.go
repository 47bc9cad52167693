package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a process gets to exit after SIGTERM before it is
// killed.
const stopGrace = 5 * time.Second

// Process is a child process whose output goes to <dir>/<name>.log.
type Process struct {
	Name string
	bin  string
	env  []string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan error
}

// NewProcess describes a process; Start runs it.
func NewProcess(dir, name, bin string, env []string, args ...string) *Process {
	return &Process{Name: name, bin: bin, env: env, args: args, log: filepath.Join(dir, name+".log")}
}

// Start runs the process with args, appending to its log.
func (p *Process) Start(args ...string) error {
	if args != nil {
		p.args = args
	}
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("opening %s's log: %w", p.Name, err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that Stop reaches any children and a
	// Ctrl-C in the terminal reaches the parent only, which stops it in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	p.cmd, p.done = cmd, make(chan error, 1)
	go func() { p.done <- cmd.Wait(); out.Close() }()
	return nil
}

// Args returns the arguments of the last start.
func (p *Process) Args() []string { return append([]string(nil), p.args...) }

// Exited reports whether a started process has exited, and its error.
func (p *Process) Exited() (bool, error) {
	if p.cmd == nil {
		return false, nil
	}
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after stopGrace.
// Stopping a process that is not running does nothing.
func (p *Process) Stop() error {
	if p.cmd == nil {
		return nil
	}
	defer func() { p.cmd = nil }()
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	// Any exit status after SIGTERM is a stop we asked for (kube-scheduler
	// exits 1 on SIGTERM); only a failure to wait is an error.
	select {
	case err := <-p.done:
		return waitError(p.Name, err)
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return waitError(p.Name, <-p.done)
}

// Kill sends SIGKILL to the process group and waits for it: no chance to
// clean up (a leader keeps its Lease until it expires). Killing a process
// that is not running does nothing.
func (p *Process) Kill() error {
	if p.cmd == nil {
		return nil
	}
	defer func() { p.cmd = nil }()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	return waitError(p.Name, <-p.done)
}

func waitError(name string, err error) error {
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) {
		return nil
	}
	return fmt.Errorf("stopping %s: %w", name, err)
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	raw, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
