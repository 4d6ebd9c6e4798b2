// Package keyring seals secrets at rest with AES-256-GCM under keys the
// host supplies, each with an id written into what it seals, so that
// keys rotate without downtime: add the new key to every instance, make
// it the primary, seal everything again (see Dispatcher.Reseal in package
// webhook), then drop the old key.
package keyring
