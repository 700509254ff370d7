package manifest

import "testing"

func TestKeyLines(t *testing.T) {
	src := `# comment [not] = "a table"
title = """
[fake]
x = 1
"""  # still line 5
lit = '''
[[also.fake]]
'''
"quoted.key" = 1
'lit key' = { a = 1, b = { c = "}" } }
arr = [
  1, # comment ]
  "two",
  { name = "a" },
  { name = "b",
    deep = 2 },
]

[table . sub]  # spaces around the dot
k = "v"
[[items]]
id = "a"
[items.sub]
x = 1
[[items]]
id = "b"
[[items.inner]]
z = 1
[[items]]
[[items.inner]]
z = 2
dotted.key.here = true
`
	lines := scanKeyLines(src)
	tests := []struct {
		path []string
		idx  int
		want int
	}{
		{[]string{"title"}, -1, 2},
		{[]string{"fake"}, -1, 0},
		{[]string{"x"}, -1, 0},
		{[]string{"lit"}, -1, 6},
		{[]string{"also"}, -1, 0},
		{[]string{"quoted.key"}, -1, 9},
		{[]string{"lit key"}, -1, 10},
		{[]string{"lit key", "b", "c"}, -1, 10},
		{[]string{"arr"}, -1, 11},
		{[]string{"arr", "name"}, 2, 14},
		{[]string{"arr", "name"}, 3, 15},
		{[]string{"arr", "deep"}, 3, 16},
		{[]string{"arr", "name"}, 9, 11}, // no such element: the array's own line
		{[]string{"table", "sub"}, -1, 19},
		{[]string{"table", "sub", "k"}, -1, 20},
		{[]string{"table"}, -1, 19},
		{[]string{"items", "id"}, 0, 22},
		{[]string{"items", "id"}, 1, 26},
		{[]string{"items", "sub", "x"}, 0, 24},
		{[]string{"items", "inner", "z"}, 0, 28},
		{[]string{"items"}, 2, 29},
		{[]string{"items", "inner", "dotted", "key", "here"}, -1, 32},
		{[]string{"items", "inner", "dotted"}, -1, 32},
		{[]string{"nope"}, -1, 0},
	}
	for _, tt := range tests {
		if got := lines.line(tt.path, tt.idx); got != tt.want {
			t.Errorf("line(%q, %d) = %d, want %d", tt.path, tt.idx, got, tt.want)
		}
	}
	var nilLines *keyLines
	if nilLines.line([]string{"a"}, -1) != 0 {
		t.Error("nil keyLines gave a line")
	}
}
