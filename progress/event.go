package progress

// Stage names what a library is doing. Each library declares its stages as constants of this
// type; the same name in two libraries ("done") means that library's step, so a caller tells
// them apart by the WithProgress it passed its Func to.
type Stage string

// Event is one progress report. A library fills the fields its stage documents and leaves the
// others zero.
type Event struct {
	Stage    Stage
	Package  string // the package concerned, "category/name@version"; for spec loading, its directory
	Platform string // "linux/amd64"; for a resolution, the install entry's system
	Path     string // the package file being written
	Slot     string // the slot id, for the slot stages
	Index    int    // the slot's index in its package
	Done     int64  // how far the stage got: packages, commands, bytes or directories, as it says
	Total    int64  // the whole of Done's unit; 0 when unknown
	Message  string // a line for people: a command, one line of its output, an image, a cache key, an error; for a resolution, the install entry
	Flavor   string // for a resolution: the chosen variant's flavor
}

// Func receives progress events. Each library says from which goroutines it calls it.
type Func func(Event)
