/*
 * Java client interop checks against a running Samsa cluster.
 *
 *   java -cp CP org.samsa.interop.Interop BOOTSTRAP PREFIX WORKDIR [PART...]
 *
 * runs the parts (producer, consumer, admin, streams; all when none are named)
 * with the kafka-clients / kafka-streams on the classpath, and prints one line
 * per check:
 *
 *   RESULT PASS|FAIL|XFAIL|XPASS <part> <check> [-- detail]
 *
 * XFAIL marks a check that is known to fail because Samsa does not serve an
 * API yet; the detail says which. An XFAIL check that passes prints XPASS,
 * which the driver (tests/integration/0600-java_clients.py) counts as a
 * failure so that the expectation gets flipped. PREFIX keeps the topic and
 * group names of several client versions apart on one cluster.
 *
 * Clients run with their default settings; the few overrides say why.
 * `member` mode (a consumer group member in its own JVM, killed with
 * SIGKILL by the consumer part) is the same class:
 *
 *   java -cp CP org.samsa.interop.Interop member BOOTSTRAP GROUP TOPIC SESSION_MS
 */
package org.samsa.interop;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

public final class Interop {
	private static String bootstrap;
	private static String prefix;
	private static File workDir;

	/** A check's body; throws (AssertionError or any exception) to fail. */
	private interface Body {
		void run() throws Exception;
	}

	/** Thrown by an XFAIL check's body when the expected failure happened. */
	private static final class ExpectedFailure extends Exception {
		private static final long serialVersionUID = 1L;

		ExpectedFailure(String why) {
			super(why);
		}
	}

	private static int failures;

	private static void result(String kind, String part, String name, String detail) {
		System.out.println("RESULT " + kind + " " + part + " " + name
			+ (detail == null || detail.isEmpty() ? "" : " -- " + detail.replace('\n', ' ')));
		System.out.flush();
	}

	private static void check(String part, String name, Body body) {
		long t0 = System.nanoTime();
		try {
			body.run();
			result("PASS", part, name, String.format("%.1fs", (System.nanoTime() - t0) / 1e9));
		} catch (Throwable e) {
			failures++;
			result("FAIL", part, name, describe(e));
			e.printStackTrace();
		}
	}

	/**
	 * A check that must fail for the reason given until Samsa serves what it
	 * needs; the body throws ExpectedFailure when it saw that failure and
	 * returns normally when everything worked (XPASS).
	 */
	private static void xfail(String part, String name, String reason, Body body) {
		long t0 = System.nanoTime();
		try {
			body.run();
			failures++;
			result("XPASS", part, name, "expected to fail (" + reason
				+ ") but passed: make it a required pass");
		} catch (ExpectedFailure e) {
			result("XFAIL", part, name, reason + "; saw: " + e.getMessage()
				+ String.format(" (%.1fs)", (System.nanoTime() - t0) / 1e9));
		} catch (Throwable e) {
			failures++;
			result("FAIL", part, name, "failed in an unexpected way: " + describe(e));
			e.printStackTrace();
		}
	}

	private static String describe(Throwable e) {
		Throwable c = e;
		if (c instanceof ExecutionException && c.getCause() != null)
			c = c.getCause();
		StringBuilder sb = new StringBuilder(c.getClass().getSimpleName() + ": " + c.getMessage());
		for (Throwable k = c.getCause(); k != null && k != k.getCause(); k = k.getCause())
			sb.append(" <- ").append(k.getClass().getSimpleName()).append(": ").append(k.getMessage());
		return sb.toString();
	}

	private static void require(boolean cond, String what) {
		if (!cond)
			throw new AssertionError(what);
	}

	/** Polls cond until it holds; fails naming `what` after timeoutMs. */
	private static void waitFor(long timeoutMs, String what, BooleanSupplier cond) throws InterruptedException {
		long deadline = System.currentTimeMillis() + timeoutMs;
		while (!cond.getAsBoolean()) {
			if (System.currentTimeMillis() > deadline)
				throw new AssertionError("timed out after " + timeoutMs / 1000 + "s waiting for " + what);
			Thread.sleep(100);
		}
	}

	private static <T> T get(KafkaFuture<T> f) throws Exception {
		return f.get(60, TimeUnit.SECONDS);
	}

	// ---------------------------------------------------------------- clients

	private static Properties base() {
		Properties p = new Properties();
		p.put("bootstrap.servers", bootstrap);
		return p;
	}

	private static KafkaProducer<String, String> producer(Properties extra) {
		Properties p = base();
		p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
		p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
		p.putAll(extra);
		return new KafkaProducer<>(p);
	}

	private static KafkaConsumer<String, String> consumer(Properties extra) {
		Properties p = base();
		p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
		p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
		p.putAll(extra);
		return new KafkaConsumer<>(p);
	}

	private static Properties props(String... kv) {
		Properties p = new Properties();
		for (int i = 0; i + 1 < kv.length; i += 2)
			p.put(kv[i], kv[i + 1]);
		return p;
	}

	private static Admin admin() {
		Properties p = base();
		return Admin.create(p);
	}

	/** Creates a topic and waits until every partition has a leader. */
	private static void createTopic(Admin a, String topic, int partitions, int rf, Map<String, String> configs)
			throws Exception {
		NewTopic nt = new NewTopic(topic, partitions, (short) rf);
		if (configs != null)
			nt.configs(configs);
		get(a.createTopics(List.of(nt)).all());
		waitFor(60000, "leaders for " + topic, () -> {
			try {
				TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames()
					.get(10, TimeUnit.SECONDS).get(topic);
				if (d.partitions().size() != partitions)
					return false;
				for (TopicPartitionInfo pi : d.partitions())
					if (pi.leader() == null || pi.leader().isEmpty())
						return false;
				return true;
			} catch (Exception e) {
				return false;
			}
		});
	}

	/** Every record of the topic, read from the beginning to the end offsets
	 *  taken before reading (no group). */
	private static List<ConsumerRecord<String, String>> readAll(String topic) throws Exception {
		return readAll(topic, new Properties());
	}

	/** readAll with consumer settings (isolation.level: the end offsets are
	 *  then the LSO for read_committed). */
	private static List<ConsumerRecord<String, String>> readAll(String topic, Properties extra) throws Exception {
		List<ConsumerRecord<String, String>> out = new ArrayList<>();
		try (KafkaConsumer<String, String> c = consumer(extra)) {
			List<TopicPartition> tps = new ArrayList<>();
			c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
			c.assign(tps);
			c.seekToBeginning(tps);
			Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
			long deadline = System.currentTimeMillis() + 120000;
			while (true) {
				boolean done = true;
				for (TopicPartition tp : tps)
					if (c.position(tp, Duration.ofSeconds(30)) < end.get(tp))
						done = false;
				if (done)
					break;
				require(System.currentTimeMillis() < deadline, "reading " + topic + " to " + end + " took over 120s");
				for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500)))
					out.add(r);
			}
		}
		return out;
	}

	// --------------------------------------------------------------- producer

	private static void producerPart() throws Exception {
		String part = "producer";
		String topic = prefix + "produce";
		try (Admin a = admin()) {
			createTopic(a, topic, 3, 3, null);
			createTopic(a, prefix + "idem", 1, 3, null);
			createTopic(a, prefix + "txn", 2, 3, null);
		}

		check(part, "transactional-producer-commit-abort", () -> {
			// initTransactions (FindCoordinator key type 1, InitProducerId
			// with a transactional id), then a committed and an aborted
			// transaction: read_committed sees only the first, read_uncommitted both.
			String t = prefix + "txn";
			try (KafkaProducer<String, String> p = producer(props(
					ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "java-tx"))) {
				p.initTransactions();
				p.beginTransaction();
				for (int i = 0; i < 100; i++)
					p.send(new ProducerRecord<>(t, "k" + i, "c" + i));
				p.commitTransaction();
				p.beginTransaction();
				for (int i = 0; i < 50; i++)
					p.send(new ProducerRecord<>(t, "k" + i, "a" + i));
				p.flush();
				p.abortTransaction();
			}
			List<ConsumerRecord<String, String>> committed = readAll(t, props("isolation.level", "read_committed"));
			require(committed.size() == 100, "read_committed read " + committed.size() + " records, committed 100");
			for (ConsumerRecord<String, String> r : committed)
				require(r.value().startsWith("c"), "aborted record " + r.value() + " visible to read_committed");
			List<ConsumerRecord<String, String>> all = readAll(t, props("isolation.level", "read_uncommitted"));
			require(all.size() == 150, "read_uncommitted read " + all.size() + " records, produced 150");
		});

		check(part, "default-idempotent-producer", () -> {
			// Only serializers and bootstrap: enable.idempotence defaults to
			// true, so the producer first asks for a producer id
			// (InitProducerId) and numbers its batches.
			final int n = 2000;
			List<Future<RecordMetadata>> fs = new ArrayList<>();
			try (KafkaProducer<String, String> p = producer(new Properties())) {
				for (int i = 0; i < n; i++)
					fs.add(p.send(new ProducerRecord<>(prefix + "idem", "k", "v" + i)));
				p.flush();
				for (Future<RecordMetadata> f : fs)
					require(f.get(60, TimeUnit.SECONDS).offset() >= 0, "no offset");
			}
			List<ConsumerRecord<String, String>> got = readAll(prefix + "idem");
			require(got.size() == n, "read " + got.size() + " records, produced " + n);
			for (int i = 0; i < n; i++)
				require(got.get(i).value().equals("v" + i), "record " + i + " is " + got.get(i).value());
		});

		check(part, "acks-all-10000-records-read-back", () -> {
			final int n = 10000;
			List<Future<RecordMetadata>> fs = new ArrayList<>();
			try (KafkaProducer<String, String> p = producer(props(
					ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false", ProducerConfig.ACKS_CONFIG, "all"))) {
				for (int i = 0; i < n; i++)
					fs.add(p.send(new ProducerRecord<>(topic, "k" + (i % 97), "v" + i)));
				p.flush();
				for (Future<RecordMetadata> f : fs)
					f.get(60, TimeUnit.SECONDS);
			}
			List<ConsumerRecord<String, String>> got = readAll(topic);
			require(got.size() == n, "read " + got.size() + " records, produced " + n);
			Set<String> seen = new HashSet<>();
			Map<String, Integer> lastPerKey = new HashMap<>();
			Map<TopicPartition, Long> lastOffset = new HashMap<>();
			for (ConsumerRecord<String, String> r : got) {
				require(seen.add(r.value()), "duplicate " + r.value());
				int i = Integer.parseInt(r.value().substring(1));
				require(r.key().equals("k" + (i % 97)), "key " + r.key() + " with value " + r.value());
				Integer prev = lastPerKey.put(r.key(), i);
				require(prev == null || prev < i, "key " + r.key() + ": v" + i + " after v" + prev);
				TopicPartition tp = new TopicPartition(r.topic(), r.partition());
				Long po = lastOffset.put(tp, r.offset());
				require(po == null || po < r.offset(), "offsets not increasing in " + tp);
			}
		});
	}

	// --------------------------------------------------------------- consumer

	/** One group member polled by the test's thread; tracks what it owns and
	 *  what the rebalance listener revoked. */
	private static final class Member {
		final String name;
		final KafkaConsumer<String, String> c;
		final List<TopicPartition> revoked = new ArrayList<>();
		long records;

		Member(String name, String topic, Properties extra) {
			this.name = name;
			this.c = consumer(extra);
			c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
				@Override
				public void onPartitionsRevoked(Collection<TopicPartition> ps) {
					revoked.addAll(ps);
				}

				@Override
				public void onPartitionsAssigned(Collection<TopicPartition> ps) {
				}
			});
		}

		void poll() {
			records += c.poll(Duration.ofMillis(100)).count();
		}

		Set<Integer> owned() {
			Set<Integer> s = new TreeSet<>();
			for (TopicPartition tp : c.assignment())
				s.add(tp.partition());
			return s;
		}

		void close() {
			c.close(Duration.ofSeconds(10));
		}
	}

	/** A group member in its own JVM, reporting its assignment on stdout. */
	private static final class RemoteMember {
		final Process proc;
		final AtomicReference<Set<Integer>> owned = new AtomicReference<>(Set.of());

		RemoteMember(String group, String topic, int sessionMs) throws Exception {
			String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
			ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
				Interop.class.getName(), "member", bootstrap, group, topic, Integer.toString(sessionMs));
			pb.redirectError(ProcessBuilder.Redirect.INHERIT);
			proc = pb.start();
			Thread t = new Thread(() -> {
				try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(),
						StandardCharsets.UTF_8))) {
					String line;
					while ((line = r.readLine()) != null) {
						if (!line.startsWith("OWNED "))
							continue;
						Set<Integer> s = new TreeSet<>();
						for (String x : line.substring(6).split(","))
							if (!x.isEmpty())
								s.add(Integer.parseInt(x));
						owned.set(s);
					}
				} catch (Exception e) {
					// the process was killed
				}
			});
			t.setDaemon(true);
			t.start();
		}

		void kill9() throws InterruptedException {
			// destroyForcibly is SIGKILL on Linux: no LeaveGroup, no close.
			proc.destroyForcibly();
			proc.waitFor();
		}
	}

	/** The `member` mode: polls until killed, printing its assignment. */
	private static void memberMain(String[] args) {
		bootstrap = args[1];
		Properties extra = props(ConsumerConfig.GROUP_ID_CONFIG, args[2],
			ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName(),
			ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, args[4]);
		Member m = new Member("remote", args[3], extra);
		String last = null;
		while (true) {
			m.poll();
			StringBuilder sb = new StringBuilder();
			for (int p : m.owned())
				sb.append(sb.length() == 0 ? "" : ",").append(p);
			String now = sb.toString();
			if (!now.equals(last)) {
				System.out.println("OWNED " + now);
				System.out.flush();
				last = now;
			}
		}
	}

	/**
	 * Polls the local members (and lets remote ones run) until their
	 * assignments are disjoint, cover all partitions and are balanced
	 * (sizes differ by at most one, every member owns something).
	 */
	private static Map<String, Set<Integer>> stable(String what, int partitions, List<Member> local,
			List<RemoteMember> remote) throws Exception {
		long deadline = System.currentTimeMillis() + 90000;
		Map<String, Set<Integer>> last = null;
		while (System.currentTimeMillis() < deadline) {
			Map<String, Set<Integer>> asg = new TreeMap<>();
			for (Member m : local) {
				m.poll();
				asg.put(m.name, m.owned());
			}
			for (int i = 0; i < remote.size(); i++)
				asg.put("remote" + i, remote.get(i).owned.get());
			last = asg;
			Set<Integer> all = new HashSet<>();
			int total = 0, min = Integer.MAX_VALUE, max = 0;
			for (Set<Integer> s : asg.values()) {
				all.addAll(s);
				total += s.size();
				min = Math.min(min, s.size());
				max = Math.max(max, s.size());
			}
			if (total == partitions && all.size() == partitions && min > 0 && max - min <= 1)
				return asg;
		}
		throw new AssertionError("no stable assignment " + what + " within 90s; last: " + last);
	}

	private static void consumerPart() throws Exception {
		String part = "consumer";
		final int parts = 6;
		String topic = prefix + "groups";
		try (Admin a = admin()) {
			createTopic(a, topic, parts, 3, null);
		}
		check(part, "range-join-leave", () -> {
			// Default partition.assignment.strategy: [range, cooperative-sticky],
			// so the group uses range.
			String g = prefix + "range";
			List<Member> ms = new ArrayList<>();
			try {
				ms.add(new Member("a", topic, props(ConsumerConfig.GROUP_ID_CONFIG, g)));
				stable("with 1 member", parts, ms, List.of());
				ms.add(new Member("b", topic, props(ConsumerConfig.GROUP_ID_CONFIG, g)));
				Map<String, Set<Integer>> two = stable("after b joined", parts, ms, List.of());
				for (Set<Integer> s : two.values()) {
					// range hands out contiguous blocks: 0-2 and 3-5.
					require(s.equals(Set.of(0, 1, 2)) || s.equals(Set.of(3, 4, 5)), "range assignment " + two);
				}
				ms.add(new Member("c", topic, props(ConsumerConfig.GROUP_ID_CONFIG, g)));
				stable("after c joined", parts, ms, List.of());
				ms.remove(2).close();
				stable("after c left", parts, ms, List.of());
				// auto.offset.reset=latest: the members now sit at the end
				// and get exactly what is produced from here on.
				for (Member m : ms)
					m.records = 0;
				try (KafkaProducer<String, String> p = producer(props(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false"))) {
					for (int i = 0; i < 600; i++)
						p.send(new ProducerRecord<>(topic, i % parts, null, "r" + i));
				}
				long deadline = System.currentTimeMillis() + 60000;
				long total = 0;
				while (total < 600 && System.currentTimeMillis() < deadline) {
					total = 0;
					for (Member m : ms) {
						m.poll();
						total += m.records;
					}
				}
				require(total == 600, "group members consumed " + total + " of 600 new records");
			} finally {
				for (Member m : ms)
					m.close();
			}
		});

		check(part, "cooperative-sticky-join-kill9", () -> {
			String g = prefix + "coop";
			// A killed member is only noticed after session.timeout.ms (45 s
			// by default); 10 s keeps the check short. Everything else is the
			// client's default.
			String sessionMs = "10000";
			Properties extra = props(ConsumerConfig.GROUP_ID_CONFIG, g,
				ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName(),
				ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionMs);
			List<Member> ms = new ArrayList<>();
			RemoteMember rm = null;
			try {
				ms.add(new Member("a", topic, extra));
				ms.add(new Member("b", topic, extra));
				stable("with 2 members", parts, ms, List.of());
				rm = new RemoteMember(g, topic, Integer.parseInt(sessionMs));
				Map<String, Set<Integer>> three = stable("after a member in another JVM joined", parts, ms, List.of(rm));
				for (Member m : ms)
					m.revoked.clear();
				rm.kill9();
				Map<String, Set<Integer>> after = stable("after kill -9 of the remote member", parts, ms, List.of());
				for (Member m : ms) {
					require(m.revoked.isEmpty(), m.name + " had " + m.revoked + " revoked after the kill (not sticky)");
					require(after.get(m.name).containsAll(three.get(m.name)),
						m.name + " lost partitions: " + three + " -> " + after);
				}
			} finally {
				if (rm != null)
					rm.kill9();
				for (Member m : ms)
					m.close();
			}
		});

		check(part, "static-membership-restart", () -> {
			String g = prefix + "static";
			List<Member> ms = new ArrayList<>();
			try {
				ms.add(new Member("s1", topic, props(ConsumerConfig.GROUP_ID_CONFIG, g,
					ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "s1")));
				ms.add(new Member("s2", topic, props(ConsumerConfig.GROUP_ID_CONFIG, g,
					ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "s2")));
				Map<String, Set<Integer>> before = stable("with 2 static members", parts, ms, List.of());
				int gen = ms.get(0).c.groupMetadata().generationId();
				for (Member m : ms)
					m.revoked.clear();
				// A static member's close sends no LeaveGroup; the same
				// group.instance.id coming back within the session timeout
				// takes its old partitions without a rebalance.
				ms.remove(1).close();
				ms.add(new Member("s2", topic, props(ConsumerConfig.GROUP_ID_CONFIG, g,
					ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "s2")));
				Map<String, Set<Integer>> after = stable("after s2 came back", parts, ms, List.of());
				require(before.equals(after), "assignment changed: " + before + " -> " + after);
				require(ms.get(0).revoked.isEmpty(), "s1 had " + ms.get(0).revoked + " revoked");
				int gen2 = ms.get(0).c.groupMetadata().generationId();
				require(gen2 == gen, "generation moved from " + gen + " to " + gen2 + " (a rebalance happened)");
			} finally {
				for (Member m : ms)
					m.close();
			}
		});
	}

	// ------------------------------------------------------------------ admin

	private static void adminPart() throws Exception {
		String part = "admin";
		String topic = prefix + "admin";
		try (Admin a = admin()) {
			check(part, "describe-cluster", () -> {
				try {
					DescribeClusterResult r = a.describeCluster();
					Collection<Node> nodes = get(r.nodes());
					require(nodes.size() == 3, "nodes " + nodes);
					require(get(r.controller()) != null && get(r.controller()).id() >= 0, "no controller");
					require(get(r.clusterId()) != null, "no cluster id");
				} catch (ExecutionException e) {
					if (e.getCause() instanceof UnsupportedVersionException)
						throw new AssertionError("DescribeCluster not served by Samsa: " + describe(e));
					throw e;
				}
			});

			check(part, "create-describe-topic", () -> {
				createTopic(a, topic, 3, 2, Map.of("retention.ms", "3600000"));
				require(get(a.listTopics().names()).contains(topic), "listTopics misses " + topic);
				TopicDescription d = get(a.describeTopics(List.of(topic)).allTopicNames()).get(topic);
				require(d.partitions().size() == 3, "partitions " + d.partitions());
				for (TopicPartitionInfo pi : d.partitions())
					require(pi.replicas().size() == 2 && pi.isr().size() >= 1, "partition " + pi);
			});

			ConfigResource tres = new ConfigResource(ConfigResource.Type.TOPIC, topic);
			check(part, "describe-configs", () -> {
				Config tc = get(a.describeConfigs(List.of(tres)).all()).get(tres);
				ConfigEntry e = tc.get("retention.ms");
				require(e != null && e.value().equals("3600000")
					&& e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "retention.ms " + e);
				ConfigEntry cp = tc.get("cleanup.policy");
				require(cp != null && cp.value().equals("delete") && cp.isDefault(), "cleanup.policy " + cp);
				ConfigResource bres = new ConfigResource(ConfigResource.Type.BROKER, "0");
				Config bc = get(a.describeConfigs(List.of(bres)).all()).get(bres);
				ConfigEntry nio = bc.get("num.io.threads");
				require(nio != null && nio.value() != null, "broker num.io.threads " + nio);
			});

			check(part, "incremental-alter-configs", () -> {
				Map<ConfigResource, Collection<AlterConfigOp>> ops = Map.of(tres, List.of(
					new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
					new AlterConfigOp(new ConfigEntry("max.message.bytes", "200000"), AlterConfigOp.OpType.SET)));
				get(a.incrementalAlterConfigs(ops).all());
				ops = Map.of(tres, List.of(
					new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE)));
				get(a.incrementalAlterConfigs(ops).all());
				Config tc = get(a.describeConfigs(List.of(tres)).all()).get(tres);
				require(tc.get("retention.ms").value().equals("7200000"), "retention.ms " + tc.get("retention.ms"));
				ConfigEntry mmb = tc.get("max.message.bytes");
				require(mmb.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "max.message.bytes " + mmb);
			});

			check(part, "create-partitions", () -> {
				get(a.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all());
				waitFor(30000, "4 partitions of " + topic, () -> {
					try {
						return get(a.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size() == 4;
					} catch (Exception e) {
						return false;
					}
				});
			});

			check(part, "alter-list-partition-reassignments", () -> {
				TopicPartition tp = new TopicPartition(topic, 0);
				TopicPartitionInfo pi = get(a.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().get(0);
				Set<Integer> cur = new HashSet<>();
				pi.replicas().forEach(n -> cur.add(n.id()));
				List<Integer> target = new ArrayList<>();
				for (int b = 0; b < 3; b++)
					if (!cur.contains(b))
						target.add(b);
				target.add(pi.replicas().get(0).id());
				get(a.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(target)))).all());
				Map<TopicPartition, PartitionReassignment> listed = get(a.listPartitionReassignments().reassignments());
				require(listed.isEmpty() || listed.containsKey(tp), "listed " + listed);
				waitFor(60000, "reassignment of " + tp + " to " + target, () -> {
					try {
						if (!get(a.listPartitionReassignments().reassignments()).isEmpty())
							return false;
						List<Integer> now = new ArrayList<>();
						get(a.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().get(0)
							.replicas().forEach(n -> now.add(n.id()));
						return new HashSet<>(now).equals(new HashSet<>(target));
					} catch (Exception e) {
						return false;
					}
				});
			});

			check(part, "elect-leaders", () -> {
				Set<TopicPartition> tps = new HashSet<>();
				for (int i = 0; i < 4; i++)
					tps.add(new TopicPartition(topic, i));
				Map<TopicPartition, Optional<Throwable>> r = get(a.electLeaders(ElectionType.PREFERRED, tps).partitions());
				require(r.keySet().equals(tps), "results for " + r.keySet());
				for (Map.Entry<TopicPartition, Optional<Throwable>> e : r.entrySet())
					require(e.getValue().isEmpty() || e.getValue().get() instanceof ElectionNotNeededException,
						e.getKey() + ": " + e.getValue());
				waitFor(30000, "preferred leaders of " + topic, () -> {
					try {
						for (TopicPartitionInfo pi : get(a.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions())
							if (pi.leader() == null || pi.leader().id() != pi.replicas().get(0).id())
								return false;
						return true;
					} catch (Exception e) {
						return false;
					}
				});
			});

			String ts = prefix + "times";
			check(part, "list-offsets-by-timestamp-delete-records", () -> {
				createTopic(a, ts, 1, 3, null);
				try (KafkaProducer<String, String> p = producer(props(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false"))) {
					for (int i = 0; i < 5; i++)
						p.send(new ProducerRecord<>(ts, 0, 1000L * (i + 1), null, "t" + i)).get(30, TimeUnit.SECONDS);
				}
				TopicPartition tp = new TopicPartition(ts, 0);
				ListOffsetsResult.ListOffsetsResultInfo r = get(a.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(2500))).all()).get(tp);
				require(r.offset() == 2 && r.timestamp() == 3000, "forTimestamp(2500) " + r);
				r = get(a.listOffsets(Map.of(tp, OffsetSpec.latest())).all()).get(tp);
				require(r.offset() == 5, "latest " + r);
				r = get(a.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(99999))).all()).get(tp);
				require(r.offset() == -1, "forTimestamp past the end " + r);
				long low = get(a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(2))).lowWatermarks().get(tp)).lowWatermark();
				require(low == 2, "low watermark " + low);
				r = get(a.listOffsets(Map.of(tp, OffsetSpec.earliest())).all()).get(tp);
				require(r.offset() == 2, "earliest after deleteRecords " + r);
			});

			String g = prefix + "admin-group";
			check(part, "list-describe-delete-consumer-groups", () -> {
				try (KafkaConsumer<String, String> c = consumer(props(ConsumerConfig.GROUP_ID_CONFIG, g,
						ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))) {
					c.subscribe(List.of(ts));
					long deadline = System.currentTimeMillis() + 60000;
					int n = 0;
					while (n < 3 && System.currentTimeMillis() < deadline)
						n += c.poll(Duration.ofMillis(200)).count();
					require(n == 3, "group consumer read " + n + " of 3 records");
					c.commitSync();
					ConsumerGroupDescription d = get(a.describeConsumerGroups(List.of(g)).all()).get(g);
					require(d.members().size() == 1 && d.state().toString().equalsIgnoreCase("Stable"), "described " + d);
				}
				@SuppressWarnings("deprecation")
				Collection<ConsumerGroupListing> ls = get(a.listConsumerGroups().all());
				boolean found = false;
				for (ConsumerGroupListing l : ls)
					found |= l.groupId().equals(g);
				require(found, "listConsumerGroups misses " + g + ": " + ls);
				Map<TopicPartition, OffsetAndMetadata> offs = get(a.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata());
				OffsetAndMetadata om = offs.get(new TopicPartition(ts, 0));
				require(offs.size() == 1 && om != null && om.offset() == 5, "offsets " + offs);
				ConsumerGroupDescription d = get(a.describeConsumerGroups(List.of(g)).all()).get(g);
				require(d.members().isEmpty() && d.state().toString().equalsIgnoreCase("Empty"), "after close " + d);
				get(a.deleteConsumerGroups(List.of(g)).all());
				@SuppressWarnings("deprecation")
				Collection<ConsumerGroupListing> ls2 = get(a.listConsumerGroups().all());
				for (ConsumerGroupListing l : ls2)
					require(!l.groupId().equals(g), "group still listed after delete");
			});

			check(part, "alter-consumer-group-offsets-unknown-topic", () -> {
				// Kafka answers UNKNOWN_TOPIC_OR_PARTITION per partition for a
				// topic that does not exist; the admin client throws it.
				String missing = prefix + "no-such-topic";
				try {
					get(a.alterConsumerGroupOffsets(prefix + "alter-grp",
						Map.of(new TopicPartition(missing, 0), new OffsetAndMetadata(1))).all());
					throw new AssertionError("offsets for a missing topic were accepted");
				} catch (ExecutionException e) {
					require(e.getCause() instanceof UnknownTopicOrPartitionException,
						"expected UnknownTopicOrPartitionException, got " + describe(e));
				}
			});

			check(part, "describe-log-dirs", () -> {
				Map<Integer, Map<String, LogDirDescription>> dirs = get(a.describeLogDirs(List.of(0, 1, 2)).allDescriptions());
				require(dirs.size() == 3, "log dirs of " + dirs.keySet());
				int replicas = 0;
				for (Map<String, LogDirDescription> m : dirs.values()) {
					require(m.size() == 1, "dirs " + m.keySet());
					for (LogDirDescription ld : m.values()) {
						require(ld.error() == null, "dir error " + ld.error());
						for (TopicPartition tp : ld.replicaInfos().keySet())
							if (tp.topic().equals(topic))
								replicas++;
					}
				}
				require(replicas == 8, topic + " has " + replicas + " replicas in the log dirs, expected 4x2");
			});

			check(part, "delete-topic", () -> {
				get(a.deleteTopics(List.of(topic)).all());
				waitFor(30000, topic + " gone from listTopics", () -> {
					try {
						return !get(a.listTopics().names()).contains(topic);
					} catch (Exception e) {
						return false;
					}
				});
			});
		}
	}

	// ---------------------------------------------------------------- streams

	private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
		"golf", "hotel", "india", "juliet", "kilo", "lima", "mike"};

	/** Produces the input lines and returns the expected count per word. */
	private static Map<String, Long> produceLines(String topic) throws Exception {
		Map<String, Long> expected = new TreeMap<>();
		List<Future<RecordMetadata>> fs = new ArrayList<>();
		try (KafkaProducer<String, String> p = producer(props(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false",
				ProducerConfig.ACKS_CONFIG, "all"))) {
			for (int i = 0; i < 500; i++) {
				StringBuilder line = new StringBuilder();
				for (int j = 0; j <= i % 7; j++) {
					String w = WORDS[(i * 7 + j * 3) % WORDS.length];
					line.append(j == 0 ? "" : " ").append(j % 2 == 0 ? w : w.toUpperCase());
					expected.merge(w, 1L, Long::sum);
				}
				fs.add(p.send(new ProducerRecord<>(topic, "line" + i, line.toString())));
			}
			for (Future<RecordMetadata> f : fs)
				f.get(60, TimeUnit.SECONDS);
		}
		return expected;
	}

	/** Latest count per word in the output topic. */
	private static Map<String, Long> latestCounts(String topic) throws Exception {
		return latestCounts(topic, "read_uncommitted");
	}

	/**
	 * Latest count per word in the output topic, read at the isolation
	 * level given (read_committed: up to the last stable offset, aborted
	 * transactions left out).
	 */
	private static Map<String, Long> latestCounts(String topic, String isolation) throws Exception {
		Map<String, Long> m = new TreeMap<>();
		Properties p = base();
		p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
		try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(p, new StringDeserializer(), new LongDeserializer())) {
			List<TopicPartition> tps = new ArrayList<>();
			c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
			c.assign(tps);
			c.seekToBeginning(tps);
			Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
			while (true) {
				boolean done = true;
				for (TopicPartition tp : tps)
					if (c.position(tp, Duration.ofSeconds(30)) < end.get(tp))
						done = false;
				if (done)
					break;
				ConsumerRecords<String, Long> rs = c.poll(Duration.ofMillis(500));
				for (ConsumerRecord<String, Long> r : rs)
					m.put(r.key(), r.value());
			}
		}
		return m;
	}

	private static KafkaStreams wordCount(String app, String in, String out, String guarantee,
			Properties extra, AtomicReference<Throwable> error) {
		StreamsBuilder b = new StreamsBuilder();
		b.stream(in, Consumed.with(Serdes.String(), Serdes.String()))
			.flatMapValues(v -> Arrays.asList(v.toLowerCase().split(" ")))
			.groupBy((k, w) -> w, Grouped.with("by-word", Serdes.String(), Serdes.String()))
			.count(Materialized.as("counts-store"))
			.toStream()
			.to(out, Produced.with(Serdes.String(), Serdes.Long()));
		Properties p = base();
		p.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
		p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
		// Not protocol settings: the state store lives in this run's
		// directory, and output is flushed every second rather than every
		// 30 s (the at_least_once default) so the check is short.
		p.put(StreamsConfig.STATE_DIR_CONFIG, new File(workDir, "streams-" + app).getPath());
		p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
		p.putAll(extra);
		KafkaStreams ks = new KafkaStreams(b.build(), p);
		ks.setUncaughtExceptionHandler(e -> {
			error.compareAndSet(null, e);
			return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
		});
		return ks;
	}

	/**
	 * Runs the word count until the output topic holds the expected final
	 * count of every word; returns null then, else why not (a dead stream
	 * thread, or the state it was in when timeoutMs ran out).
	 */
	private static String runWordCount(String app, String in, String out, String guarantee, Properties extra,
			Map<String, Long> expected, long timeoutMs, long closeMs) throws Exception {
		AtomicReference<Throwable> err = new AtomicReference<>();
		KafkaStreams ks = wordCount(app, in, out, guarantee, extra, err);
		ks.start();
		try {
			long deadline = System.currentTimeMillis() + timeoutMs;
			Map<String, Long> last = null;
			while (true) {
				if (err.get() != null)
					return "stream thread died: " + describe(err.get());
				if (ks.state() == KafkaStreams.State.ERROR)
					return "state ERROR";
				last = latestCounts(out);
				if (last.equals(expected))
					break;
				if (System.currentTimeMillis() > deadline)
					return "no complete output within " + timeoutMs / 1000 + "s (state " + ks.state()
						+ "); last counts " + last;
				Thread.sleep(500);
			}
			if (ks.state() != KafkaStreams.State.RUNNING)
				return "counts complete but state " + ks.state();
		} finally {
			// A client stuck in REBALANCING (no producer id) cannot close
			// cleanly; the XFAIL checks do not wait long for it.
			ks.close(Duration.ofMillis(closeMs));
		}
		try (Admin a = admin()) {
			Set<String> names = get(a.listTopics().names());
			String rep = app + "-by-word-repartition";
			String chg = app + "-counts-store-changelog";
			if (!names.contains(rep) || !names.contains(chg))
				return "internal topics " + rep + ", " + chg + " missing: " + names;
		}
		return null;
	}

	private static void streamsPart() throws Exception {
		String part = "streams";
		String in = prefix + "words-in";
		try (Admin a = admin()) {
			createTopic(a, in, 3, 3, null);
			for (String o : List.of("defaults", "alos", "eos"))
				createTopic(a, prefix + "words-out-" + o, 3, 3, null);
		}
		Map<String, Long> expected = produceLines(in);

		check(part, "word-count-at-least-once-default-producer", () -> {
			// Streams' producer is idempotent by default (clients 3.0+).
			String why = runWordCount(prefix + "wcd", in, prefix + "words-out-defaults", "at_least_once",
				new Properties(), expected, 120000, 20000);
			require(why == null, why);
		});

		check(part, "word-count-at-least-once", () -> {
			// With the idempotent producer off, as older applications run.
			String why = runWordCount(prefix + "wc", in, prefix + "words-out-alos", "at_least_once",
				props(StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), "false"),
				expected, 120000, 20000);
			require(why == null, why);
		});

		check(part, "word-count-exactly-once-v2", () -> {
			// Transactions through the coordinator, the consumer's
			// offsets with TxnOffsetCommit v3 (group generation and member).
			String why = runWordCount(prefix + "wce", in, prefix + "words-out-eos", "exactly_once_v2",
				new Properties(), expected, 120000, 20000);
			require(why == null, why);
		});

		check(part, "word-count-exactly-once-v2-broker-killed", () -> {
			// Exactly once across kill -9 of a broker mid-run: half the
			// input is counted, the driver kills a broker (it answers the
			// KILL-BROKER line by creating the file named there), the other
			// half is produced, and the committed output must hold the
			// exact counts of both halves (a duplicate would inflate them).
			String in2 = prefix + "words-in-kill", out2 = prefix + "words-out-eos-kill";
			try (Admin a = admin()) {
				createTopic(a, in2, 3, 3, null);
				createTopic(a, out2, 3, 3, null);
			}
			Map<String, Long> want = new TreeMap<>(produceLines(in2));
			AtomicReference<Throwable> err = new AtomicReference<>();
			// its repartition and changelog topics replicated, so they survive the kill
			KafkaStreams ks = wordCount(prefix + "wck", in2, out2, "exactly_once_v2",
				props(StreamsConfig.REPLICATION_FACTOR_CONFIG, "3"), err);
			ks.start();
			try {
				long deadline = System.currentTimeMillis() + 120000;
				while (latestCounts(out2, "read_committed").isEmpty()) {
					require(err.get() == null, "stream thread died: " + (err.get() == null ? "" : describe(err.get())));
					require(System.currentTimeMillis() < deadline, "no committed output within 120s (state " + ks.state() + ")");
					Thread.sleep(200);
				}
				File killed = new File(workDir, prefix + "broker-killed");
				System.out.println("KILL-BROKER " + killed.getPath());
				System.out.flush();
				deadline = System.currentTimeMillis() + 60000;
				while (!killed.exists()) {
					require(System.currentTimeMillis() < deadline, "the driver did not kill a broker within 60s");
					Thread.sleep(100);
				}
				produceLines(in2).forEach((w, n) -> want.merge(w, n, Long::sum));
				deadline = System.currentTimeMillis() + 180000;
				Map<String, Long> last;
				while (!(last = latestCounts(out2, "read_committed")).equals(want)) {
					require(err.get() == null, "stream thread died: " + (err.get() == null ? "" : describe(err.get())));
					require(ks.state() != KafkaStreams.State.ERROR, "state ERROR");
					require(System.currentTimeMillis() < deadline, "no exact output within 180s after the kill (state "
						+ ks.state() + "); last counts " + last + ", want " + want);
					Thread.sleep(500);
				}
			} finally {
				ks.close(Duration.ofSeconds(20));
			}
		});
	}

	public static void main(String[] args) throws Exception {
		if (args.length >= 5 && args[0].equals("member")) {
			memberMain(args);
			return;
		}
		if (args.length < 3) {
			System.err.println("usage: Interop BOOTSTRAP PREFIX WORKDIR [producer|consumer|admin|streams]...");
			System.exit(2);
		}
		bootstrap = args[0];
		prefix = args[1];
		workDir = new File(args[2]);
		List<String> parts = args.length > 3 ? Arrays.asList(args).subList(3, args.length)
			: List.of("producer", "consumer", "admin", "streams");
		for (String p : parts) {
			long t0 = System.nanoTime();
			try {
				switch (p) {
				case "producer": producerPart(); break;
				case "consumer": consumerPart(); break;
				case "admin": adminPart(); break;
				case "streams": streamsPart(); break;
				default: throw new IllegalArgumentException("unknown part " + p);
				}
			} catch (Throwable e) {
				failures++;
				result("FAIL", p, "setup", describe(e));
				e.printStackTrace();
			}
			System.out.println(String.format("PART %s %.1fs", p, (System.nanoTime() - t0) / 1e9));
		}
		System.out.flush();
		// Client threads (streams, a stuck producer) must not keep the JVM up.
		System.exit(failures == 0 ? 0 : 1);
	}
}
