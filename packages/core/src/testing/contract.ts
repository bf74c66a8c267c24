// @metro/core/contract: the vitest suite every Transport implementation runs to prove it meets
// the contract. Its own entry because it imports vitest (a peer dependency), which
// @metro/core/testing must not.
export { runTransportContract } from './transport-contract.js';
export type { TransportContractOptions, TransportContractResources } from './transport-contract.js';
