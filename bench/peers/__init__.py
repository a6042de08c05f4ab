"""The servers Broadsheet is measured against: Isso (a peer) and nginx (the ceiling)."""
