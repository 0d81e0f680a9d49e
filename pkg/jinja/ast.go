package jinja

// Statement nodes.
type (
	stmt interface{ stmtLine() int }

	textStmt struct {
		line int
		text string
	}
	outputStmt struct {
		line int
		expr expr
	}
	ifStmt struct {
		line   int
		conds  []expr   // if and elif conditions
		bodies [][]stmt // one per cond
		els    []stmt
	}
	forStmt struct {
		line   int
		target []string // loop variable names (several for tuple unpacking)
		iter   expr
		filter expr // optional "if" filter
		body   []stmt
		els    []stmt
	}
	setStmt struct {
		line    int
		target  []string // names; or one name with attr for namespace assignment
		attr    string
		value   expr
		body    []stmt // block set: {% set x %}...{% endset %}
		filters []*filterExpr
	}
	macroStmt struct {
		line     int
		name     string
		params   []string
		defaults []expr // nil where the parameter has no default
		body     []stmt
	}
	filterBlock struct {
		line    int
		filters []*filterExpr // applied in order to the rendered body
		body    []stmt
	}
	loopCtl struct {
		line int
		brk  bool
	}
)

func (s *textStmt) stmtLine() int    { return s.line }
func (s *outputStmt) stmtLine() int  { return s.line }
func (s *ifStmt) stmtLine() int      { return s.line }
func (s *forStmt) stmtLine() int     { return s.line }
func (s *setStmt) stmtLine() int     { return s.line }
func (s *macroStmt) stmtLine() int   { return s.line }
func (s *filterBlock) stmtLine() int { return s.line }
func (s *loopCtl) stmtLine() int     { return s.line }

// Expression nodes.
type (
	expr interface{ exprLine() int }

	constExpr struct {
		line int
		val  any
	}
	nameExpr struct {
		line int
		name string
	}
	listExpr struct {
		line  int
		items []expr
		tuple bool
	}
	dictExpr struct {
		line int
		keys []expr
		vals []expr
	}
	attrExpr struct {
		line int
		obj  expr
		name string
	}
	indexExpr struct {
		line  int
		obj   expr
		index expr
	}
	sliceExpr struct {
		line              int
		obj               expr
		start, stop, step expr // each may be nil
	}
	callExpr struct {
		line    int
		fn      expr
		args    []expr
		kwNames []string
		kwVals  []expr
	}
	filterExpr struct {
		line    int
		obj     expr // nil inside a filter block or block set
		name    string
		args    []expr
		kwNames []string
		kwVals  []expr
	}
	testExpr struct {
		line int
		obj  expr
		name string
		args []expr
		neg  bool
	}
	unaryExpr struct {
		line int
		op   string // "not", "-", "+"
		x    expr
	}
	binExpr struct {
		line int
		op   string // + - * / // % ** ~ == != < <= > >= in notin and or
		l, r expr
	}
	condExpr struct {
		line      int
		cond      expr
		then, els expr // els may be nil (undefined)
	}
)

func (e *constExpr) exprLine() int  { return e.line }
func (e *nameExpr) exprLine() int   { return e.line }
func (e *listExpr) exprLine() int   { return e.line }
func (e *dictExpr) exprLine() int   { return e.line }
func (e *attrExpr) exprLine() int   { return e.line }
func (e *indexExpr) exprLine() int  { return e.line }
func (e *sliceExpr) exprLine() int  { return e.line }
func (e *callExpr) exprLine() int   { return e.line }
func (e *filterExpr) exprLine() int { return e.line }
func (e *testExpr) exprLine() int   { return e.line }
func (e *unaryExpr) exprLine() int  { return e.line }
func (e *binExpr) exprLine() int    { return e.line }
func (e *condExpr) exprLine() int   { return e.line }
