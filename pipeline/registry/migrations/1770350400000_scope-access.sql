-- Up Migration
-- scopes[].access (DESIGN.md, "Optional fields added in this version"): 'read' or 'write' as the
-- manifest says, NULL when it says nothing ("may write"). Only a 'read' scope is announced
-- read-only to MCP clients, so the database refuses what the validator refuses: a scope that
-- requires a firearm acts, and is never 'read'. Rows written before this column stay NULL until
-- the next sync of their connector.

ALTER TABLE connector_scopes ADD COLUMN access text
  CONSTRAINT connector_scopes_access_check CHECK (access IN ('read', 'write'));
ALTER TABLE connector_scopes ADD CONSTRAINT connector_scopes_firearm_not_read_check
  CHECK (NOT (requires_firearm AND access = 'read'));

-- Down Migration
ALTER TABLE connector_scopes DROP CONSTRAINT connector_scopes_firearm_not_read_check;
ALTER TABLE connector_scopes DROP COLUMN access;
