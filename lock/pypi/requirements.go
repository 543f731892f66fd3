package pypi

// MaxLockSize bounds every lockfile and included requirements file.
const MaxLockSize = 64 << 20

// MaxIncludeDepth bounds -r/-c nesting; cycles are refused at any depth.
const MaxIncludeDepth = 32

// ParseRequirements reads the requirements file name, and the files it
// includes, through read (os.ReadFile in the CLI; included names are joined
// to the including file's directory with path/filepath). See the package
// doc for the accepted syntax and every refusal. Errors are *LineError
// values wrapping the Err* values.
func ParseRequirements(name string, read func(name string) ([]byte, error)) (*Lock, error) {
	return nil, errNotYet
}
