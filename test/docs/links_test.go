// Package docs checks that the project's documentation stands alone: every
// relative link and anchor resolves inside the repository, every alert's
// runbook_url names a section of docs/alerts.md, and no file points to a
// document that is not in the repository.
package docs

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../.."

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`^#{1,6}\s+(.*)$`)
	runbook = regexp.MustCompile(`runbook_url:\s*\S+/blob/main/(docs/[^#\s]+)#(\S+)`)
	// outside names documents that were never part of the repository.
	outside = regexp.MustCompile(`DESIGN\.md|\.\./shared/|/work/shared`)
)

// repoFiles returns the repository's files with one of the extensions,
// relative to root, skipping build output and VCS metadata.
func repoFiles(t *testing.T, exts ...string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		for _, e := range exts {
			if !d.IsDir() && strings.HasSuffix(path, e) {
				rel, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				files = append(files, rel)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(root, file))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	fence := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if m := heading.FindStringSubmatch(line); m != nil && !fence {
			out[slug(m[1])] = true
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// slug is GitHub's heading anchor: lower case, punctuation dropped, spaces
// turned into hyphens.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// links returns the relative link targets of a Markdown file, outside code
// fences.
func links(t *testing.T, file string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, file))
	require.NoError(t, err)
	var out []string
	fence := false
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			out = append(out, target)
		}
	}
	return out
}

func TestMarkdownLinksResolve(t *testing.T) {
	for _, file := range repoFiles(t, ".md") {
		for _, target := range links(t, file) {
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), path)
				_, err := os.Stat(filepath.Join(root, dest))
				if !assert.NoError(t, err, "%s links to %s, which does not exist", file, target) {
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(dest, ".md") {
				assert.True(t, anchors(t, dest)[anchor], "%s links to %s: %s has no heading with that anchor", file, target, dest)
			}
		}
	}
}

func TestRunbookURLsNameASection(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "manifests/prometheus/rules.yaml"))
	require.NoError(t, err)
	found := runbook.FindAllStringSubmatch(string(raw), -1)
	require.NotEmpty(t, found, "the alerts carry runbook_url")
	for _, m := range found {
		assert.True(t, anchors(t, m[1])[m[2]], "runbook %s#%s: no such section", m[1], m[2])
	}
}

func TestNoReferenceOutsideTheRepository(t *testing.T) {
	self := filepath.Join("test", "docs", "links_test.go")
	for _, file := range repoFiles(t, ".md", ".go", ".yaml", ".yml", ".json", ".sh", "Makefile", "Dockerfile") {
		if file == self {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		for i, line := range strings.Split(string(raw), "\n") {
			assert.False(t, outside.MatchString(line), "%s:%d refers to a document outside the repository: %s", file, i+1, strings.TrimSpace(line))
		}
	}
}
