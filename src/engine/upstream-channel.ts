// The engine asks Postgres two things on the client's own upstream connection (so with the client's role,
// settings and transaction): the RowDescription/ParameterDescription a statement gets (Parse + Describe, never
// executed), and rows of ordinary tables or values of constants. The session implements it
// (src/wire/upstream-channel.ts); direct-channel.ts implements it on a connection of its own for tests.
export type { UpstreamChannel, DescribeResult, QueryResult, RelayedAnswer } from '../wire/upstream-channel.js';
