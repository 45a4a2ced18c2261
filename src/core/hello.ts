/** The hello message monitors exchange on `__sentinel__:hello` and by direct PUBLISH. */
export interface Hello {
  ip: string;
  port: number;
  runId: string;
  currentEpoch: number;
  masterName: string;
  masterIp: string;
  masterPort: number;
  masterConfigEpoch: number;
}

export function parseHello(payload: string): Hello | undefined {
  const t = payload.split(',');
  if (t.length !== 8) return undefined;
  const [ip, port, runId, epoch, masterName, masterIp, masterPort, cfgEpoch] = t as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const num = (s: string): number => {
    const n = Number.parseInt(s, 10);
    return Number.isFinite(n) ? n : 0;
  };
  return {
    ip,
    port: num(port),
    runId,
    currentEpoch: num(epoch),
    masterName,
    masterIp,
    masterPort: num(masterPort),
    masterConfigEpoch: num(cfgEpoch),
  };
}

/** Everything after `<ip>,<port>,`: the shell prepends the address it announces. */
export function helloTail(h: Omit<Hello, 'ip' | 'port'>): string {
  return `${h.runId},${h.currentEpoch},${h.masterName},${h.masterIp},${h.masterPort},${h.masterConfigEpoch}`;
}
