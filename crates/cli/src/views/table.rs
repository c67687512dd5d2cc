//! Tables for people, one way for every command that lists (`action
//! list`, `respond`, `accounts`): a header, aligned columns, rows cut with
//! an ellipsis (or wrapped at words) to the terminal's width, and a status
//! coloured on a terminal. Cells arrive escaped; comfy-table lays them out.

use comfy_table::{ContentArrangement, Row, Table as Grid};

/// How a status reads, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    /// Done as asked (EXECUTION_SUCCESS, ran).
    Good,
    /// Waiting on someone, or about to act (PENDING, ALARM, due).
    Attention,
    /// Failed.
    Bad,
}

impl Tone {
    fn style(self) -> anstyle::Style {
        match self {
            Tone::Plain => anstyle::Style::new(),
            Tone::Good => anstyle::AnsiColor::Green.on_default(),
            Tone::Attention => anstyle::AnsiColor::Yellow.on_default().bold(),
            Tone::Bad => anstyle::AnsiColor::Red.on_default().bold(),
        }
    }
}

/// What a row does when it is wider than the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// One line per row, cut with `…`.
    Cut,
    /// Cells wrap at word boundaries (messages that must be read whole).
    Wrap,
}

/// A table being filled.
pub struct Table {
    headers: Vec<&'static str>,
    /// Columns of numbers, aligned right.
    numeric: Vec<usize>,
    /// The columns that give up width when a row is too wide (names,
    /// messages); the others keep their content's width. None: all do.
    elastic: Vec<usize>,
    rows: Vec<Vec<(String, Tone)>>,
    overflow: Overflow,
}

impl Table {
    pub fn new(headers: &[&'static str], overflow: Overflow) -> Table {
        Table {
            headers: headers.to_vec(),
            numeric: Vec::new(),
            elastic: Vec::new(),
            rows: Vec::new(),
            overflow,
        }
    }

    /// Align column `index` (from 0) to the right: it holds numbers.
    pub fn numeric(mut self, index: usize) -> Table {
        self.numeric.push(index);
        self
    }

    /// Let column `index` give up width when rows are too wide; columns
    /// not named keep theirs (a status or an id is never cut).
    pub fn elastic(mut self, index: usize) -> Table {
        self.elastic.push(index);
        self
    }

    /// A row of escaped cells, each with its tone.
    pub fn row(&mut self, cells: Vec<(String, Tone)>) {
        self.rows.push(cells);
    }

    /// The table, lines without trailing spaces: `width` columns at most
    /// (`None`: as wide as its rows), coloured when `color`.
    pub fn render(&self, width: Option<usize>, color: bool) -> String {
        let mut grid = Grid::new();
        grid.load_style(comfy_table::presets::NOTHING)
            .set_truncation_indicator("…")
            .force_no_tty();
        if let Some(width) = width {
            grid.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(width).unwrap_or(u16::MAX));
        }
        let paint = |text: &str, style: anstyle::Style| {
            if color && style != anstyle::Style::new() {
                format!("{style}{text}{style:#}")
            } else {
                text.to_owned()
            }
        };
        let bold = anstyle::Style::new().bold();
        grid.set_header(self.headers.iter().map(|h| paint(h, bold)));
        for cells in &self.rows {
            let mut row = Row::from(cells.iter().map(|(text, tone)| paint(text, tone.style())));
            if self.overflow == Overflow::Cut {
                row.max_height(1);
            }
            grid.add_row(row);
        }
        let last = self.headers.len().saturating_sub(1);
        for (i, column) in grid.column_iter_mut().enumerate() {
            column.set_padding((0, if i == last { 0 } else { 2 }));
            if !self.elastic.is_empty() && !self.elastic.contains(&i) {
                column.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
            if self.numeric.contains(&i) {
                column.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
        let mut out = String::new();
        for line in grid.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The width to lay tables out in: the terminal's when stdout is one,
/// else `COLUMNS` when set (as shells export it), else none (a pipe or a
/// file gets whole rows, for grep).
pub fn width() -> Option<usize> {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(std::io::stdout()) {
        return Some(usize::from(w));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w >= 20)
}
