package export

import (
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxSheetName is Excel's limit on a worksheet name, in UTF-16 code units.
const maxSheetName = 31

// forbidden replaces the characters Excel refuses in a worksheet name.
var forbidden = strings.NewReplacer(":", "-", `\`, "-", "/", "-", "?", "-", "*", "-", "[", "-", "]", "-")

// sheetNames returns a name Excel accepts for each sheet, no two alike.
// Excel compares names without regard to case, and keeps "History" for
// itself.
func sheetNames(sheets []Sheet) []string {
	taken := []string{"History"}
	names := make([]string, len(sheets))
	for i, s := range sheets {
		base := cleanSheetName(s.Name)
		if base == "" {
			base = strconv.Itoa(i + 1)
		}
		name := base
		for n := 2; isTaken(taken, name); n++ {
			suffix := " (" + strconv.Itoa(n) + ")"
			name = cut(base, maxSheetName-len(suffix)) + suffix
		}
		taken = append(taken, name)
		names[i] = name
	}
	return names
}

func isTaken(taken []string, name string) bool {
	for _, t := range taken {
		if strings.EqualFold(t, name) {
			return true
		}
	}
	return false
}

// cleanSheetName replaces forbidden characters and cuts name to Excel's
// length. Excel also refuses a name that starts or ends with an apostrophe.
func cleanSheetName(name string) string {
	name = strings.Trim(forbidden.Replace(name), "'")
	return cut(name, maxSheetName)
}

// cut shortens s to at most n UTF-16 code units, the unit Excel counts in,
// without splitting a character, and drops an apostrophe left at the end.
func cut(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			s = s[:i]
			break
		}
	}
	return strings.TrimRight(s, "'")
}
