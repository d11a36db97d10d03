"""What a function's `process` is given besides its input."""

from abc import abstractmethod


class Context(object):
    """The message being processed, the function's identity and config, and
    what it may do besides returning a result: log, publish, record metrics,
    acknowledge. The runner's implementation is `_fmc_instance.RunnerContext`."""

    @abstractmethod
    def get_message_id(self):
        pass

    @abstractmethod
    def get_message_key(self):
        pass

    @abstractmethod
    def get_message_eventtime(self):
        pass

    @abstractmethod
    def get_message_properties(self):
        pass

    @abstractmethod
    def get_current_message_topic_name(self):
        pass

    @abstractmethod
    def get_function_tenant(self):
        pass

    @abstractmethod
    def get_function_namespace(self):
        pass

    @abstractmethod
    def get_function_name(self):
        pass

    @abstractmethod
    def get_function_id(self):
        pass

    @abstractmethod
    def get_instance_id(self):
        pass

    @abstractmethod
    def get_function_version(self):
        pass

    @abstractmethod
    def get_logger(self):
        pass

    @abstractmethod
    def get_user_config_value(self, key):
        pass

    @abstractmethod
    def get_user_config_map(self):
        pass

    @abstractmethod
    def get_secret(self, secret_name):
        pass

    @abstractmethod
    def get_partition_key(self):
        pass

    @abstractmethod
    def get_ordering_key(self):
        pass

    @abstractmethod
    def record_metric(self, metric_name, metric_value):
        pass

    @abstractmethod
    def publish(
        self,
        topic_name,
        message,
        serde_class_name="serde.IdentitySerDe",
        properties=None,
        compression_type=None,
        callback=None,
        message_conf=None,
    ):
        pass

    @abstractmethod
    def get_input_topics(self):
        pass

    @abstractmethod
    def get_output_topic(self):
        pass

    @abstractmethod
    def get_output_serde_class_name(self):
        pass

    @abstractmethod
    def ack(self, msgid, topic):
        pass

    @abstractmethod
    def incr_counter(self, key, amount):
        pass

    @abstractmethod
    def get_counter(self, key):
        pass

    @abstractmethod
    def del_counter(self, key):
        pass

    @abstractmethod
    def put_state(self, key, value):
        pass

    @abstractmethod
    def get_state(self, key):
        pass
