"""The review queue: every summary and analysis, its versions and who decided what, in one SQLite file.

- `database`: the file's lifecycle: opening (read-only where it cannot be written), making it at the first write,
  migrating it, refusing to write one a newer trendsum made, and the transaction every write runs in.
- `store`: what the queue holds (`Store`, built on `Database`): items of each kind with their versions, review
  decisions and history; listing rows and selection criteria; source ids, failures and endpoint modes.
- `kinds`: the kinds of item (records, analyses) described as data: which tables and columns each lives in.
- `transitions`: the one table of who may move an item from what status to what.
- `migrations`: the numbered schema migrations, each applied in its own transaction.
- `identity`: which record id each source file gets, kept for ever, also when the file moves.
- `review`: a person's accept, reject and edit of a record, and the audit trail's reading side.
- `editing`: a record as editable Markdown and back (pure functions).
- `walk`: the review walk without a screen: which records in what order, and what each decision saves.
- `reviewers`: reviewer accounts for `trendsum serve` (scrypt password hashes), disabled but never deleted.
- `analysis_store`: what is particular to cross-case analyses in the queue: their ids, listing columns and body.
"""
