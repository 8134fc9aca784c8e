// Package statestore is the local store of goka table partitions: LevelDB,
// with the writes of a partition gathered in memory and written to LevelDB
// in batches, together with the table offset they reach.
//
// The batch written last stays in memory and is read before LevelDB: the
// keys of a stream are mostly read again soon after they were written.
//
// goka's own LevelDB storage writes every Set, and after recovery every
// table offset, as a record of its own, which costs a system call each.
// Gathering them changes nothing goka relies on: the local store is a
// cache of the table topic, from which goka recovers whatever the store
// lacks after a crash, starting at the offset the store holds.
package statestore

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// offsetKey holds the table offset, under the name goka's storage uses, so
// that a state directory reads the same with either.
const offsetKey = "__offset"

// Options tune a Store.
type Options struct {
	// LevelDB are LevelDB's options; nil takes LevelDB's defaults.
	LevelDB *opt.Options
	// MaxPending is how many keys are gathered before they are written.
	// Default 4096.
	MaxPending int
	// Interval is how long writes wait at most. Default 1s.
	Interval time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxPending <= 0 {
		o.MaxPending = 4096
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	return o
}

// Builder returns a goka storage builder that opens one Store per table
// partition in a directory of dir named topic.partition, as goka's does.
func Builder(dir string, o Options) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		path := filepath.Join(dir, fmt.Sprintf("%s.%d", topic, partition))
		db, err := leveldb.OpenFile(path, o.LevelDB)
		if err != nil {
			return nil, fmt.Errorf("opening state store %s: %w", path, err)
		}
		return New(db, o), nil
	}
}

// write is a pending change of one key; del marks a deletion.
type write struct {
	value []byte
	del   bool
}

// Store is a goka storage.Storage over LevelDB that writes in batches. It
// is safe for concurrent readers with one writer, as goka requires.
type Store struct {
	db  *leveldb.DB
	opt Options

	mu          sync.Mutex
	pending     map[string]write
	recent      map[string]write // the batch written last, read before LevelDB
	offset      int64
	offsetKnown bool
	offsetDirty bool

	stop chan struct{}
	done chan struct{}
}

// New returns a Store over db, which it closes on Close.
func New(db *leveldb.DB, o Options) *Store {
	return &Store{db: db, opt: o.withDefaults(), pending: map[string]write{}}
}

// Open starts writing pending changes at least every Options.Interval.
func (s *Store) Open() error {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.opt.Interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				_ = s.Flush() // a failure shows again at the next write or on Close
			}
		}
	}()
	return nil
}

// Close writes what is pending and closes LevelDB.
func (s *Store) Close() error {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	ferr := s.Flush()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing state store: %w", err)
	}
	return ferr
}

// Flush writes the pending changes and the offset in one LevelDB batch.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Store) flushLocked() error {
	if len(s.pending) == 0 && !s.offsetDirty {
		return nil
	}
	var b leveldb.Batch
	for k, w := range s.pending {
		if w.del {
			b.Delete([]byte(k))
		} else {
			b.Put([]byte(k), w.value)
		}
	}
	if s.offsetDirty {
		b.Put([]byte(offsetKey), []byte(strconv.FormatInt(s.offset, 10)))
	}
	if err := s.db.Write(&b, nil); err != nil {
		return fmt.Errorf("writing %d keys to the state store: %w", len(s.pending), err)
	}
	s.recent, s.pending = s.pending, make(map[string]write, len(s.pending))
	s.offsetDirty = false
	return nil
}

// Pending is the number of keys changed since the last write to LevelDB.
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Has reports whether key has a value.
func (s *Store) Has(key string) (bool, error) {
	v, err := s.Get(key)
	return v != nil, err
}

// Get returns the value of key, nil when it has none.
func (s *Store) Get(key string) ([]byte, error) {
	s.mu.Lock()
	w, ok := s.pending[key]
	if !ok {
		w, ok = s.recent[key]
	}
	s.mu.Unlock()
	if ok {
		if w.del {
			return nil, nil
		}
		return w.value, nil
	}
	v, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %q from the state store: %w", key, err)
	}
	return v, nil
}

// Set stores value under key. The store keeps value, which the caller must
// not change afterwards.
func (s *Store) Set(key string, value []byte) error {
	return s.put(key, write{value: value})
}

// Delete removes key.
func (s *Store) Delete(key string) error {
	return s.put(key, write{del: true})
}

func (s *Store) put(key string, w write) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[key] = w
	if len(s.pending) >= s.opt.MaxPending {
		return s.flushLocked()
	}
	return nil
}

// GetOffset returns the table offset the store holds, def when none.
func (s *Store) GetOffset(def int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offsetKnown {
		return s.offset, nil
	}
	v, err := s.db.Get([]byte(offsetKey), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the state store's offset: %w", err)
	}
	o, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("state store offset %q: %w", v, err)
	}
	s.offset, s.offsetKnown = o, true
	return o, nil
}

// SetOffset records the table offset the store reaches; it is written with
// the next batch.
func (s *Store) SetOffset(offset int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset, s.offsetKnown, s.offsetDirty = offset, true, true
	return nil
}

// MarkRecovered writes what recovery left pending.
func (s *Store) MarkRecovered() error { return s.Flush() }

// Iterator iterates over every key, pending changes included.
func (s *Store) Iterator() (storage.Iterator, error) {
	return s.IteratorWithRange(nil, nil)
}

// IteratorWithRange iterates over the keys in [start, limit), or over the
// keys with prefix start when limit is empty, pending changes included.
func (s *Store) IteratorWithRange(start, limit []byte) (storage.Iterator, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	r := util.BytesPrefix(start)
	if len(limit) > 0 {
		r = &util.Range{Start: start, Limit: limit}
	}
	return &iter{it: s.db.NewIterator(r, nil)}, nil
}

// iter is a LevelDB iterator that skips the offset key.
type iter struct {
	it iterator.Iterator
}

func (i *iter) Next() bool {
	for i.it.Next() {
		if string(i.it.Key()) != offsetKey {
			return true
		}
	}
	return false
}

func (i *iter) Err() error             { return i.it.Error() }
func (i *iter) Key() []byte            { return i.it.Key() }
func (i *iter) Value() ([]byte, error) { return i.it.Value(), nil }
func (i *iter) Release()               { i.it.Release() }
func (i *iter) Seek(key []byte) bool   { return i.it.Seek(key) }
