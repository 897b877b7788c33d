//! Table tests written from Go's text/template documentation and sprig's docs.
