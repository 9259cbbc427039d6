"""The dispute ledger (台账): its column layout, import through the services, export. See docs/ledger.md."""
