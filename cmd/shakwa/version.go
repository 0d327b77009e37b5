package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// revision is the commit the binary was built from, when the build says
// it (the image's: docker build --build-arg REVISION=..., which sets it
// with -ldflags "-X main.revision=..."; its context holds no .git for the
// go command to read it from).
var revision string

// printVersion is "shakwa version": the module's version, the commit it
// was built from when the build recorded one (with "+modified" for a work
// tree that had changes), and the Go release, on one line of stdout.
func printVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return errors.New("usage: shakwa version")
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(info, runtime.Version(), revision))
	return nil
}

// versionLine is the line printVersion prints for the build info (nil
// when the binary holds none) and the revision the build was given ("":
// none; the build info's, when it recorded one, comes first).
func versionLine(info *debug.BuildInfo, goVersion, given string) string {
	version, revision, modified := "(devel)", given, false
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "shakwa " + version
	if revision != "" {
		line += " revision " + revision
		if modified {
			line += "+modified"
		}
	}
	return line + " " + goVersion
}
