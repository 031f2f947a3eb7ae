// The only entry point to @peculiar/x509 in this package: loads reflect-metadata first (tsyringe inside x509 needs it) and binds Node's WebCrypto.
// Must never be bypassed: importing '@peculiar/x509' directly elsewhere can load it before reflect-metadata and crash at startup.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
