"""The licensing back-office: license evaluation and installation, the clock mark, signed usage reports."""
