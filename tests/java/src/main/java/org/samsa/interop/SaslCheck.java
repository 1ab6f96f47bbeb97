/*
 * SaslCheck - Kafka's Java client against a Samsa SASL listener: the Admin
 * API's AlterUserScramCredentials / DescribeUserScramCredentials, a producer
 * and a consumer over SCRAM-SHA-512 and PLAIN, and a wrong password.
 * Prints "RESULT PASS|FAIL <check> -- detail" lines; exit status 1 on any
 * failure. Usage: SaslCheck PLAINTEXT_BOOTSTRAP SASL_BOOTSTRAP TOPIC
 */
package org.samsa.interop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class SaslCheck {
	private static int failures;

	private static void result(boolean ok, String check, String detail) {
		if (!ok)
			failures++;
		System.out.println("RESULT " + (ok ? "PASS" : "FAIL") + " " + check + " -- " + detail);
		System.out.flush();
	}

	private static Properties sasl(String bootstrap, String mech, String user, String pw) {
		Properties p = new Properties();
		p.put("bootstrap.servers", bootstrap);
		p.put("security.protocol", "SASL_PLAINTEXT");
		p.put("sasl.mechanism", mech);
		String module = mech.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
			: "org.apache.kafka.common.security.scram.ScramLoginModule";
		p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + pw + "\";");
		return p;
	}

	private static void roundTrip(String bootstrap, String mech, String user, String pw, String topic)
			throws Exception {
		Properties pp = sasl(bootstrap, mech, user, pw);
		pp.put("key.serializer", StringSerializer.class.getName());
		pp.put("value.serializer", StringSerializer.class.getName());
		pp.put("acks", "all");
		try (KafkaProducer<String, String> p = new KafkaProducer<>(pp)) {
			for (int i = 0; i < 100; i++)
				p.send(new ProducerRecord<>(topic, 0, null, mech + "-" + i)).get(60, TimeUnit.SECONDS);
		}
		Properties cp = sasl(bootstrap, mech, user, pw);
		cp.put("key.deserializer", StringDeserializer.class.getName());
		cp.put("value.deserializer", StringDeserializer.class.getName());
		List<String> got = new ArrayList<>();
		try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp)) {
			TopicPartition tp = new TopicPartition(topic, 0);
			c.assign(List.of(tp));
			c.seekToBeginning(List.of(tp));
			long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			while (System.nanoTime() < end) {
				for (ConsumerRecord<String, String> r : c.poll(Duration.ofSeconds(1)))
					if (r.value().startsWith(mech + "-"))
						got.add(r.value());
				if (got.size() >= 100)
					break;
			}
		}
		boolean ok = got.size() == 100 && got.get(0).equals(mech + "-0") && got.get(99).equals(mech + "-99");
		result(ok, "roundtrip-" + mech, got.size() + " records read back");
	}

	public static void main(String[] args) throws Exception {
		String plain = args[0], saslBoot = args[1], topic = args[2];
		Properties ap = new Properties();
		ap.put("bootstrap.servers", plain);
		try (Admin a = Admin.create(ap)) {
			a.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("jalice",
				new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "jalice-secret")))
				.all().get(60, TimeUnit.SECONDS);
			UserScramCredentialsDescription d = a.describeUserScramCredentials(List.of("jalice"))
				.description("jalice").get(60, TimeUnit.SECONDS);
			boolean ok = d.credentialInfos().size() == 1
				&& d.credentialInfos().get(0).mechanism() == ScramMechanism.SCRAM_SHA_512
				&& d.credentialInfos().get(0).iterations() == 8192;
			result(ok, "describe", d.toString());
			try {
				a.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("jbob",
					new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 100), "x")))
					.all().get(60, TimeUnit.SECONDS);
				result(false, "too-few-iterations", "accepted");
			} catch (ExecutionException e) {
				result(e.getCause().getClass().getSimpleName().equals("UnacceptableCredentialException"),
					"too-few-iterations", e.getCause().toString());
			}
			try {
				a.describeUserScramCredentials(List.of("nobody")).description("nobody")
					.get(60, TimeUnit.SECONDS);
				result(false, "describe-missing", "described");
			} catch (ExecutionException e) {
				result(e.getCause().getClass().getSimpleName().equals("ResourceNotFoundException"),
					"describe-missing", e.getCause().toString());
			}
		}
		// wait until the change notification reached the broker's credential store
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		for (boolean in = false; !in && System.nanoTime() < until; ) {
			try (Admin a = Admin.create(sasl(saslBoot, "SCRAM-SHA-512", "jalice", "jalice-secret"))) {
				a.describeCluster().nodes().get(30, TimeUnit.SECONDS);
				in = true;
			} catch (ExecutionException e) {
				Thread.sleep(200);
			}
		}
		roundTrip(saslBoot, "SCRAM-SHA-512", "jalice", "jalice-secret", topic);
		roundTrip(saslBoot, "PLAIN", "alice", "alice-secret", topic);
		Properties bad = sasl(saslBoot, "SCRAM-SHA-512", "jalice", "wrong");
		try (Admin a = Admin.create(bad)) {
			a.describeCluster().nodes().get(30, TimeUnit.SECONDS);
			result(false, "wrong-password", "served");
		} catch (ExecutionException e) {
			result(e.getCause() instanceof SaslAuthenticationException, "wrong-password",
				e.getCause().toString());
		}
		System.exit(failures == 0 ? 0 : 1);
	}
}
