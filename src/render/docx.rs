//! `minutes.docx`: the 会議録 as a Word document (WordprocessingML written
//! directly into a zip with the `zip` crate already used for model
//! wheels): the cover as a real table with merged cells, the body as
//! paragraphs, the materials as a closing table. A4, Mincho, 10.5 pt.
//! The output is deterministic (fixed zip timestamps).

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::draft::Draft;

use super::header::{self, Row, TITLE};
use super::minutes::{body, materials, Block, MATERIALS};

/// Widths of the cover table's columns (twentieths of a point).
const COLUMNS: [u32; 3] = [2000, 1000, 6600];

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Century" w:eastAsia="ＭＳ 明朝" w:hAnsi="Century" w:cs="Times New Roman"/><w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="en-US" w:eastAsia="ja-JP"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="300" w:lineRule="auto"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:after="240"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/></w:rPr></w:style><w:style w:type="table" w:styleId="Grid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:color="000000"/><w:left w:val="single" w:sz="4" w:color="000000"/><w:bottom w:val="single" w:sz="4" w:color="000000"/><w:right w:val="single" w:sz="4" w:color="000000"/><w:insideH w:val="single" w:sz="4" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:color="000000"/></w:tblBorders><w:tblCellMar><w:left w:w="100" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>"#;

/// The Word document's bytes.
pub fn docx(draft: &Draft) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, data) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", RELS.to_string()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/styles.xml", STYLES.to_string()),
        ("word/document.xml", document(draft)),
    ] {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(data.as_bytes())?;
    }
    let cursor = zip.finish().map_err(std::io::Error::other)?;
    Ok(cursor.into_inner())
}

fn document(draft: &Draft) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    x.push_str(&paragraph(Some("Title"), TITLE));
    x.push_str(&cover(&header::rows(draft)));
    x.push_str(&paragraph(None, ""));
    for block in body(draft) {
        match block {
            Block::Heading(t) => x.push_str(&paragraph(Some("Heading2"), &t)),
            Block::Text(t) => {
                x.push_str(&paragraph(None, &t));
                x.push_str(&paragraph(None, ""));
            }
        }
    }
    x.push_str(&materials_table(&materials(draft)));
    x.push_str(r#"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1418" w:right="1134" w:bottom="1418" w:left="1134" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#);
    x
}

fn table_start(widths: &[u32]) -> String {
    let mut x = format!(
        r#"<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/><w:tblW w:w="{}" w:type="dxa"/><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>"#,
        widths.iter().sum::<u32>()
    );
    for w in widths {
        x.push_str(&format!(r#"<w:gridCol w:w="{w}"/>"#));
    }
    x.push_str("</w:tblGrid>");
    x
}

/// The cover: label | sub-label | content; a label spanning several rows
/// (公開の可否, 出席者) is merged vertically, a row without sub-label spans
/// the last two columns.
fn cover(rows: &[Row]) -> String {
    let mut x = table_start(&COLUMNS);
    for (k, row) in rows.iter().enumerate() {
        x.push_str("<w:tr>");
        let continues = k > 0 && rows[k - 1].label == row.label;
        let merges = rows.get(k + 1).is_some_and(|n| n.label == row.label);
        let merge = if continues {
            Some("continue")
        } else if merges {
            Some("restart")
        } else {
            None
        };
        let label = if continues { "" } else { row.label };
        x.push_str(&cell(COLUMNS[0], 1, merge, &[label.to_string()]));
        match row.sub {
            Some(sub) => {
                x.push_str(&cell(COLUMNS[1], 1, None, &[sub.to_string()]));
                x.push_str(&cell(COLUMNS[2], 1, None, &row.lines));
            }
            None => x.push_str(&cell(COLUMNS[1] + COLUMNS[2], 2, None, &row.lines)),
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl>");
    x
}

fn materials_table(lines: &[String]) -> String {
    let widths = [COLUMNS[0], COLUMNS[1] + COLUMNS[2]];
    let mut x = table_start(&widths);
    x.push_str("<w:tr>");
    x.push_str(&cell(widths[0], 1, None, &[MATERIALS.to_string()]));
    x.push_str(&cell(widths[1], 1, None, lines));
    x.push_str("</w:tr></w:tbl>");
    x
}

fn cell(width: u32, span: u32, merge: Option<&str>, lines: &[String]) -> String {
    let mut x = format!(r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>"#);
    if span > 1 {
        x.push_str(&format!(r#"<w:gridSpan w:val="{span}"/>"#));
    }
    match merge {
        Some("restart") => x.push_str(r#"<w:vMerge w:val="restart"/>"#),
        Some(_) => x.push_str("<w:vMerge/>"),
        None => {}
    }
    x.push_str(r#"<w:vAlign w:val="center"/></w:tcPr>"#);
    if lines.is_empty() {
        x.push_str(&paragraph(None, ""));
    }
    for line in lines {
        x.push_str(&paragraph(None, line));
    }
    x.push_str("</w:tc>");
    x
}

fn paragraph(style: Option<&str>, text: &str) -> String {
    let mut x = String::from("<w:p>");
    if let Some(style) = style {
        x.push_str(&format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#));
    }
    if !text.is_empty() {
        x.push_str(&format!(
            r#"<w:r><w:t xml:space="preserve">{}</w:t></w:r>"#,
            escape(text)
        ));
    }
    x.push_str("</w:p>");
    x
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
