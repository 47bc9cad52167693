package registry

import (
	"io"
	"log"
)

// nilLogger silences the registry's request log.
func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }
