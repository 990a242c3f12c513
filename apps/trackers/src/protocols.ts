import { gt06, h02, teltonika, type TcpProtocol } from '@fleet/ingest';

/**
 * The tracker protocols the gateway serves, one decoder file each in libs/ingest/src/protocols; a
 * further protocol is its file plus a line here (and its port variable in config.ts).
 */
export const TRACKER_PROTOCOLS: readonly TcpProtocol[] = [teltonika, gt06, h02];
